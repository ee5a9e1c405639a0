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

/** Ctrl-letter bindings, as readline has them. */
const CTRL_KEYS: Record<string, KeyAction> = {
  c: { type: "interrupt" },
  d: { type: "eof" },
  r: { type: "search" },
  a: { type: "home" },
  e: { type: "end" },
  b: { type: "left" },
  f: { type: "right" },
  p: { type: "up" },
  n: { type: "down" },
  g: { type: "cancel" },
  u: { type: "kill-line-start" },
  k: { type: "kill-line-end" },
  w: { type: "delete-word" },
  h: { type: "backspace" },
};

/**
 * Several keys in one read: a paste without bracketed-paste mode, or keys typed ahead while the
 * REPL was busy. Text (tabs and line breaks included) is inserted; a final CR is the Enter that
 * ended the typing, CRs inside are line breaks; Backspace and Ctrl-keys act as they would have
 * one at a time.
 */
function typedAhead(input: string): KeyAction[] {
  const submit = /[^\r]\r$/.test(input);
  const actions: KeyAction[] = [];
  for (const part of (submit ? input.slice(0, -1) : input).split(/([\x00-\x08\x0b\x0c\x0e-\x1f\x7f])/)) {
    if (part === "") continue;
    const code = part.charCodeAt(0);
    if (part.length === 1 && (code === 0x7f || code === 0x08)) actions.push({ type: "backspace" });
    else if (part.length === 1 && code < 0x20) {
      const bound = CTRL_KEYS[String.fromCharCode(code + 0x60)];
      if (bound) actions.push(bound);
    } else actions.push({ type: "insert", text: normalizeText(part) });
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
      const bound = CTRL_KEYS[input];
      if (bound) return bound;
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
