/**
 * Absolute paths of the machine that produced a Playwright report, made relative (report.ts uses
 * it for locations, run errors and repo paths). Split from report.ts to keep each file readable.
 */
import type { SourceLocation } from "./model";

/** Absolute paths of the producing machine -> paths relative to config.rootDir (and the repo). */
export class PathMapper {
  private readonly root?: string;
  private readonly configDir?: string;
  private readonly repoPrefix?: string;

  constructor(rootDir?: string, configFile?: string) {
    this.root = rootDir ? trimSlash(toPosix(rootDir)) : undefined;
    if (configFile) this.configDir = toPosix(configFile).replace(/\/[^/]*$/, "") || undefined;
    if (this.root && configFile) {
      const configDir = toPosix(configFile).replace(/\/[^/]*$/, "");
      if (this.root === configDir) this.repoPrefix = "";
      else if (this.root.startsWith(`${configDir}/`)) this.repoPrefix = `${this.root.slice(configDir.length + 1)}/`;
    }
  }

  relative(file: string): string {
    const posix = toPosix(file).replace(/^file:\/\//, "");
    if (this.root && posix.startsWith(`${this.root}/`)) return posix.slice(this.root.length + 1);
    return posix;
  }

  location(loc: { file: string; line: number; column: number }): SourceLocation {
    return { file: this.relative(loc.file), line: loc.line, column: loc.column };
  }

  /** A run error's path: relative to rootDir, else to the config folder, else cut (see toRunError). */
  runErrorPath(file: string): string {
    const posix = toPosix(file).replace(/^file:\/\//, "");
    if (!isAbsolutePosix(posix)) return posix;
    for (const root of [this.root, this.configDir]) {
      if (root && posix.startsWith(`${root}/`)) return posix.slice(root.length + 1);
    }
    const modules = posix.lastIndexOf("/node_modules/");
    if (modules >= 0) return posix.slice(modules + 1);
    return posix.slice(posix.lastIndexOf("/") + 1);
  }

  /** The same for every absolute file path inside a run error's text (API routes without an extension are left alone). */
  runErrorText(text: string): string {
    let out = text;
    for (const root of [this.root, this.configDir].filter((r): r is string => Boolean(r)).sort((a, b) => b.length - a.length)) {
      out = out.split(`file://${root}/`).join("").split(`${root}/`).join("");
    }
    return out.replace(
      ABSOLUTE_FILE_IN_TEXT,
      (_m, lead: string, file: string) => `${lead === "file://" ? "" : lead}${this.runErrorPath(file)}`,
    );
  }

  repoPath(specFile: string): string | undefined {
    return this.repoPrefix === undefined ? undefined : `${this.repoPrefix}${specFile}`;
  }
}

/** An absolute POSIX file path (2+ segments, last one with an extension) after a space, bracket, quote or `=`. */
const ABSOLUTE_FILE_IN_TEXT = /(^|[\s(\[{'"`=]|file:\/\/)((?:\/[^\s/:'"`()[\]{}<>]+){2,}\.[A-Za-z0-9]{1,8})(?=$|[\s:'"`()[\]{},;])/gm;

function isAbsolutePosix(p: string): boolean {
  return p.startsWith("/") || /^[A-Za-z]:\//.test(p);
}

function toPosix(p: string): string {
  return p.replace(/\\/g, "/");
}

function trimSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, "") : p;
}
