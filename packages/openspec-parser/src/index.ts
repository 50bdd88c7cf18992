/**
 * @workdeck/openspec-parser: the pure API over an in-memory OpenSpec tree (no file-system access).
 * Read a folder with `@workdeck/openspec-parser/fs`; answer a command line with `/cli-json`.
 */
export * from './schemas';
export * from './tree';
export * from './markdown/walk';
export * from './markdown/requirements';
export * from './markdown/delta';
export * from './tasks';
export * from './list';
export * from './show';
export * from './validate';
export * from './details';
export * from './archive/merge';
export * from './archive/plan';
export * from './write/proposal';
export * from './write/delta';
