// Loaded with --import (NODE_OPTIONS) by every process the "bullmq-lowest" project spawns.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
