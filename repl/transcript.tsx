/** Everything that scrolled up: each item is rendered once, in Ink's <Static>, above the prompt. */
import type React from "react";
import { memo } from "react";
import { Static } from "ink";
import type { OutputItem } from "./model/index.js";
import { OutputView } from "./output.js";

function TranscriptView({ items, width }: { items: readonly OutputItem[]; width: number }): React.JSX.Element {
  // Static only reads the array (it renders the items added since its last render).
  return <Static items={items as OutputItem[]}>{(item) => <OutputView key={item.id} item={item} width={width} />}</Static>;
}

/** Re-rendered only when items are added (keys at the prompt do not touch it). */
export const Transcript = memo(TranscriptView);
