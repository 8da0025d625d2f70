// kubelet's `$(VAR)` expansion (k/k third_party/forked/golang/expansion/expand.go), used for
// env values, command, args and subPathExpr. The rules are deliberately not shell rules:
// `$$` is an escaped `$`, `$(NAME)` is a reference, anything else after `$` is kept as it is,
// an unterminated `$(` is literal, and a name the lookup does not know stays verbatim.

const OPERATOR = '$';
const OPENER = '(';
const CLOSER = ')';

/**
 * Expands `$(NAME)` references in `input`. `lookup` returns undefined for an unknown name,
 * which leaves the reference as written (kubelet's MappingFuncFor).
 */
export function expandVars(input: string, lookup: (name: string) => string | undefined): string {
  return expandWith(input, (name) => lookup(name) ?? `${OPERATOR}${OPENER}${name}${CLOSER}`);
}

/**
 * The raw algorithm with a mapping that always answers (expand.go `Expand`). Exposed for
 * subPathExpr, whose mapping records missing names instead of keeping them.
 */
export function expandWith(input: string, mapping: (name: string) => string): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== OPERATOR || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const { read, isVar, advance } = tryReadVariableName(input.slice(cursor + 1));
    out += isVar ? mapping(read) : read;
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/**
 * Reads what follows a `$` (expand.go `tryReadVariableName`); `rest` is non-empty. `read` is
 * what to emit when `isVar` is false; `advance` counts the characters consumed after the `$`.
 */
function tryReadVariableName(rest: string): { read: string; isVar: boolean; advance: number } {
  const first = String.fromCodePoint(rest.codePointAt(0) ?? 0);
  if (first === OPERATOR) return { read: OPERATOR, isVar: false, advance: 1 };
  if (first === OPENER) {
    const close = rest.indexOf(CLOSER, 1);
    if (close !== -1) return { read: rest.slice(1, close), isVar: true, advance: close + 1 };
    // Incomplete reference: emit `$(` and carry on scanning after the opener.
    return { read: OPERATOR + OPENER, isVar: false, advance: 1 };
  }
  // Not an expression: keep the operator and the whole character after it.
  return { read: OPERATOR + first, isVar: false, advance: first.length };
}
