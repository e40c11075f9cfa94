/**
 * Splits a SQL script into its statements, so each one is sent on its own: Citus workers
 * refuse a multi-statement string that contains DDL. Semicolons inside quotes ('…', "…"),
 * dollar-quoted bodies ($$…$$, $tag$…$tag$) and comments do not split. Comments stay
 * attached to the statement they precede; empty statements are dropped.
 */
export function splitSqlStatements(script: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  const n = script.length;
  while (i < n) {
    const ch = script[i] as string;
    const next = script[i + 1];
    if (ch === '-' && next === '-') {
      const end = script.indexOf('\n', i);
      i = end === -1 ? n : end + 1;
    } else if (ch === '/' && next === '*') {
      i = skipBlockComment(script, i);
    } else if (ch === "'" || ch === '"') {
      // E'…' strings take backslash escapes (standard_conforming_strings governs only '…').
      const escaped = ch === "'" && /[Ee]/.test(script[i - 1] ?? '') && !isIdentifierChar(script[i - 2]);
      i = skipQuoted(script, i, ch, escaped);
    } else if (ch === '$') {
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(script.slice(i, i + 64))?.[0];
      // $1 (a parameter) or an identifier containing $ is not a dollar quote.
      if (tag && !isIdentifierChar(script[i - 1])) {
        const end = script.indexOf(tag, i + tag.length);
        if (end === -1) throw new Error(`unterminated dollar quote ${tag} in SQL script`);
        i = end + tag.length;
      } else {
        i++;
      }
    } else if (ch === ';') {
      push(statements, script.slice(start, i));
      start = ++i;
    } else {
      i++;
    }
  }
  push(statements, script.slice(start));
  return statements;
}

function push(statements: string[], text: string): void {
  const trimmed = text.trim();
  if (onlyComments(trimmed)) return;
  statements.push(trimmed);
}

function onlyComments(text: string): boolean {
  return (
    text
      .replace(/--[^\n]*/g, '')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .trim() === ''
  );
}

function skipQuoted(script: string, from: number, quote: string, backslashEscapes: boolean): number {
  let i = from + 1;
  while (i < script.length) {
    if (backslashEscapes && script[i] === '\\') {
      i += 2;
    } else if (script[i] === quote) {
      if (script[i + 1] === quote)
        i += 2; // doubled quote inside the literal
      else return i + 1;
    } else {
      i++;
    }
  }
  throw new Error(`unterminated ${quote === "'" ? 'string literal' : 'quoted identifier'} in SQL script`);
}

// Block comments nest in PostgreSQL.
function skipBlockComment(script: string, from: number): number {
  let depth = 0;
  let i = from;
  while (i < script.length) {
    if (script[i] === '/' && script[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (script[i] === '*' && script[i + 1] === '/') {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  throw new Error('unterminated block comment in SQL script');
}

function isIdentifierChar(ch: string | undefined): boolean {
  return ch !== undefined && /[A-Za-z0-9_$]/.test(ch);
}
