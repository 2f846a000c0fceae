/**
 * Text that may break after `/ , : = & ?` as well as at spaces: URLs and JSON in error texts then
 * wrap at their joints instead of mid-word (or overflowing their box).
 */
import { Fragment } from 'react';

export function Breakable({ text }: { text: string }) {
  const parts = text.split(/(?<=[/,:=&?])/);
  return (
    <>
      {parts.map((part, index) => (
        <Fragment key={index}>
          {part}
          {index < parts.length - 1 && <wbr />}
        </Fragment>
      ))}
    </>
  );
}
