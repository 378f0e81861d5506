// Module hooks for processes the BullMQ tests spawn (hosts, helpers) in the "bullmq-lowest"
// project: `bullmq` resolves to the lowest version the peer range allows (devDependency alias).
export async function resolve(specifier, context, next) {
  if (specifier === 'bullmq' || specifier.startsWith('bullmq/')) return next(`bullmq-lowest${specifier.slice('bullmq'.length)}`, context);
  return next(specifier, context);
}
