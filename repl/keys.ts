/**
 * Turns Ink's (input, key) pairs into editor actions. Ink hands over a paste (or typed-ahead keys)
 * as one multi-character input, and splits bracketed-paste markers (ESC[200~ … ESC[201~) into
 * events of their own; `KeyDecoder` keeps the state needed to make a bracketed paste one edit.
 */
import type { Key } from "ink";
import type { KeyAction } from "./model/index.js";

const PASTE_START = "\x1b[200~";
const PASTE_END = "\x1b[201~";

/** Pasted or typed-ahead text as buffer text: CR/CRLF become newlines, other controls go. */
export function normalizeText(text: string): string {
  return (
    text
      .replace(/\r\n?/g, "\n")
      // eslint-disable-next-line no-control-regex
      .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "")
  );
}

/** Ink strips the ESC of the markers it splits out; a raw chunk may still carry them whole. */
function isPasteMarker(input: string): boolean {
  return input === "[200~" || input === PASTE_START || input === "[201~" || input === PASTE_END;
}

/**
 * Several keys in one read: a paste without bracketed-paste mode, or keys typed ahead while the
 * REPL was busy. A final CR is the Enter that ended the typing; CRs inside are line breaks;
 * Backspace (DEL, BS) erases as it would have one key at a time.
 */
function typedAhead(input: string): KeyAction[] {
  const submit = /[^\r]\r$/.test(input);
  const actions: KeyAction[] = [];
  for (const part of (submit ? input.slice(0, -1) : input).split(/([\x7f\b])/)) {
    if (part === "\x7f" || part === "\b") actions.push({ type: "backspace" });
    else if (part !== "") {
      const text = normalizeText(part);
      if (text) actions.push({ type: "insert", text });
    }
  }
  if (!submit) return actions.length ? actions : [{ type: "none" }];
  const last = actions[actions.length - 1];
  if (last?.type === "insert") actions[actions.length - 1] = { type: "insert-submit", text: last.text };
  else actions.push({ type: "submit" });
  return actions;
}

export class KeyDecoder {
  private paste: string | undefined;

  get pasting(): boolean {
    return this.paste !== undefined;
  }

  /** The actions of one input event: usually one key, several when keys arrive in one read. */
  decode(input: string, key: Key): KeyAction[] {
    const paste = this.paste !== undefined || isPasteMarker(input) || input.includes(PASTE_START) || input.includes(PASTE_END);
    if (!paste && input.length > 1 && !key.ctrl && !key.meta) return typedAhead(input);
    return [this.decodeKey(input, key)];
  }

  private decodeKey(input: string, key: Key): KeyAction {
    if (input === "[200~" || input === PASTE_START) {
      this.paste = "";
      return { type: "none" };
    }
    if (input === "[201~" || input === PASTE_END) return this.endPaste();
    if (this.paste !== undefined) {
      this.paste += key.tab ? "\t" : key.return ? "\n" : input;
      return { type: "none" };
    }
    if (input.includes(PASTE_START) || input.includes(PASTE_END)) {
      const text = input.split(PASTE_START).join("").split(PASTE_END).join("");
      return { type: "insert", text: normalizeText(text) };
    }
    if (input === "\n" && !key.return) return { type: "newline" }; // Ctrl-J
    if (key.return) return key.meta ? { type: "newline" } : { type: "submit" };
    if (key.ctrl) {
      switch (input) {
        case "c":
          return { type: "interrupt" };
        case "d":
          return { type: "eof" };
        case "r":
          return { type: "search" };
        case "a":
          return { type: "home" };
        case "e":
          return { type: "end" };
        case "b":
          return { type: "left" };
        case "f":
          return { type: "right" };
        case "p":
          return { type: "up" };
        case "n":
          return { type: "down" };
        case "g":
          return { type: "cancel" };
        case "u":
          return { type: "kill-line-start" };
        case "k":
          return { type: "kill-line-end" };
        case "w":
          return { type: "delete-word" };
        case "h":
          return { type: "backspace" };
        default:
          break;
      }
    }
    if (key.upArrow) return { type: "up" };
    if (key.downArrow) return { type: "down" };
    if (key.leftArrow) return { type: "left" };
    if (key.rightArrow) return { type: "right" };
    if (key.home) return { type: "home" };
    if (key.end) return { type: "end" };
    if (key.tab) return key.shift ? { type: "none" } : { type: "tab" };
    // Ink reports both DEL (what Backspace sends) and ESC[3~ as `delete`; the prompt treats them as Backspace.
    if (key.backspace || key.delete) return { type: "backspace" };
    if (key.escape) return { type: "cancel" };
    if (key.ctrl || input === "") return { type: "none" };
    if (key.meta && input.length === 1) return { type: "none" }; // unbound Alt-key
    if (input.length > 1) return { type: "insert", text: normalizeText(input) };
    if (input < " ") return { type: "none" };
    return { type: "insert", text: input };
  }

  private endPaste(): KeyAction {
    const text = this.paste ?? "";
    this.paste = undefined;
    return text ? { type: "insert", text: normalizeText(text) } : { type: "none" };
  }
}
