/**
 * WebSocket text frames as a server sends them (RFC 6455 §5.2: FIN set, opcode 1, unmasked), so
 * the live path can write many frames as one buffer instead of one `ws.send` (two stream writes)
 * per frame. Extensions are off on our sockets (no permessage-deflate), so the frame is just this.
 */
export function textFrameHeader(length: number): Buffer {
  if (length < 126) return Buffer.from([0x81, length]);
  if (length < 65_536) {
    const header = Buffer.allocUnsafe(4);
    header[0] = 0x81;
    header[1] = 126;
    header.writeUInt16BE(length, 2);
    return header;
  }
  const header = Buffer.allocUnsafe(10);
  header[0] = 0x81;
  header[1] = 127;
  header.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
  header.writeUInt32BE(length >>> 0, 6);
  return header;
}

/** A whole text frame, as parts. */
export function textFrame(payload: Buffer): Buffer[] {
  return [textFrameHeader(payload.length), payload];
}
