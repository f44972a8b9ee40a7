// One last-rendered image, reloaded whenever a new one is announced.
/** @jsxImportSource preact */
import type { LastRenderedInfo } from "../types";

/** Index into the suffixes, which the Manager lists largest first. */
const SIZE_INDEX = { large: 0, small: 1 } as const;

function lastRenderedUrl(
  info: LastRenderedInfo,
  size: keyof typeof SIZE_INDEX,
  version: number,
): string | null {
  const suffix = info.suffixes[SIZE_INDEX[size]] ?? info.suffixes[0];
  return suffix ? `${info.base}/${suffix}?v=${version}` : null;
}

export function LastRenderedImage(props: {
  info: LastRenderedInfo;
  version: number;
  size: keyof typeof SIZE_INDEX;
}) {
  const url = lastRenderedUrl(props.info, props.size, props.version);
  if (!url) return null;
  return (
    <figure class={`last-rendered last-rendered-${props.size}`}>
      <a href={lastRenderedUrl(props.info, "large", props.version) ?? url} target="_blank" rel="noreferrer">
        <img src={url} alt="Last rendered image" />
      </a>
    </figure>
  );
}
