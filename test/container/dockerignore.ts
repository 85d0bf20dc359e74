// What `docker build .` sends as its build context, by the rules of .dockerignore as Docker's
// documentation gives them: one pattern a line, `#` comments, a leading `!` re-includes, `*` and
// `?` within one path segment, `**` across any number of them; a path is excluded when the last
// pattern matching it or one of its parent folders excludes it.
import fs from 'node:fs';
import path from 'node:path';

interface Rule {
  negate: boolean;
  regex: RegExp;
  /** the pattern up to its first wildcard: a pruned folder is entered only if a `!` rule can reach inside it */
  literal: string;
}

function toRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') {
        i++;
        re += '(?:.*/)?';
      } else re += '.*';
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${pattern.slice(i + 1, end).replace(/^!/, '^')}]`;
        i = end;
      }
    } else if (ch === '\\' && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
    else re += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function parseDockerignore(text: string): Rule[] {
  const rules: Rule[] = [];
  for (const raw of text.split('\n')) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1).trim();
    line = path.posix.normalize(line).replace(/^\/+/, '').replace(/\/+$/, '');
    if (line === '.' || line === '') continue;
    rules.push({ negate, regex: toRegex(line), literal: line.split(/[*?[\\]/, 1)[0] });
  }
  return rules;
}

/** True when `rel` (a path relative to the context, "/"-separated) stays out of the context. */
export function isExcluded(rules: Rule[], rel: string): boolean {
  const parts = rel.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let excluded = false;
  for (const rule of rules) {
    if (candidates.some((c) => rule.regex.test(c))) excluded = !rule.negate;
  }
  return excluded;
}

/** The files of `root` that a build context holds, relative and sorted. */
export function buildContext(root: string, rules: Rule[]): string[] {
  const out: string[] = [];
  const walk = (relDir: string) => {
    for (const e of fs.readdirSync(path.join(root, relDir), { withFileTypes: true })) {
      const rel = relDir ? `${relDir}/${e.name}` : e.name;
      const excluded = isExcluded(rules, rel);
      if (e.isDirectory()) {
        const reachable = rules.some((r) => r.negate && (r.literal.startsWith(`${rel}/`) || `${rel}/`.startsWith(r.literal) || r.literal === rel));
        if (!excluded || reachable) walk(rel);
      } else if (!excluded) out.push(rel);
    }
  };
  walk('');
  return out.sort();
}
