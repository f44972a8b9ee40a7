// `shellSplit` for job-type scripts: splits a command line into words with the rules of
// github.com/google/shlex, which Flamenco uses (not POSIX sh: a backslash inside "…" escapes anything).

const WHITESPACE = new Set([" ", "\t", "\r", "\n"]);

type State = "start" | "word" | "escape" | "double" | "double-escape" | "single" | "comment";

export function shellSplit(text: string): string[] {
  const words: string[] = [];
  let state: State = "start";
  let word = "";
  for (const ch of text) {
    switch (state) {
      case "start":
        if (WHITESPACE.has(ch)) break;
        if (ch === "#") state = "comment";
        else if (ch === "\\") state = "escape";
        else if (ch === '"') state = "double";
        else if (ch === "'") state = "single";
        else {
          word = ch;
          state = "word";
        }
        break;
      case "word":
        if (WHITESPACE.has(ch)) {
          words.push(word);
          word = "";
          state = "start";
        } else if (ch === "\\") state = "escape";
        else if (ch === '"') state = "double";
        else if (ch === "'") state = "single";
        else word += ch;
        break;
      case "escape":
        word += ch;
        state = "word";
        break;
      case "double":
        if (ch === '"') state = "word";
        else if (ch === "\\") state = "double-escape";
        else word += ch;
        break;
      case "double-escape":
        word += ch;
        state = "double";
        break;
      case "single":
        if (ch === "'") state = "word";
        else word += ch;
        break;
      case "comment":
        if (ch === "\n") state = "start";
        break;
    }
  }
  switch (state) {
    case "word":
      words.push(word);
      break;
    case "escape":
    case "double-escape":
      throw new Error("EOF found after escape character");
    case "double":
    case "single":
      throw new Error("EOF found when expecting closing quote");
  }
  return words;
}
