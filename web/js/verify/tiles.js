/* verify/tiles.js: a consistency proof built by the page itself from the
 * log's public hash tiles (C2SP tlog-tiles), for a reader with no token
 * (the log's /v1/proof/consistency needs one). The tiles are not trusted:
 * the proof they give is checked by verify/consistency.js like any other,
 * so a tile that lies makes the check fail, never pass.
 *
 *   tile L/N (width W <= 256) holds the hashes of the subtrees of 256^L
 *   leaves numbered N*256 .. N*256+W-1, 32 bytes each; at tree size n, the
 *   tile is full when it has 256 of them, else it is read as <N>.p/<W>
 *   a subtree of 2^(8L+r) leaves (0 <= r < 8) is hashed up from 2^r
 *   consecutive hashes of one tile of level L
 *
 *   PROOF(m, n) = SUBPROOF(m, D[0:n], true) (RFC 6962 2.1.2): for the
 *   largest power of two k < n, SUBPROOF(m, D[0:k], b) + MTH(D[k:n]) when
 *   m <= k, else SUBPROOF(m - k, D[k:n], false) + MTH(D[0:k]); at m == n,
 *   nothing when b, else MTH(D[0:n]) */

import { VerifyError, nodeHash, tileIndexPath } from '../verify.js';

/** The largest power of two below x (x >= 2). */
function largestPow2Below(x) {
  let k = 1;
  while (k * 2 < x) k *= 2;
  return k;
}
/** log2(x) when x is a power of two, else -1. */
function exactLog2(x) {
  let h = 0;
  for (let k = 1; k <= x; k *= 2, h++) if (k === x) return h;
  return -1;
}

/** Reads subtree hashes of the tree of size n from its tiles; fetch(path) resolves bytes. */
export class TileHashes {
  constructor(fetch, n) {
    this.fetch = fetch;
    this.n = n;
    this.tiles = new Map();
  }

  async tile(level, index) {
    const count = Math.floor(this.n / 256 ** level); // subtrees of 256^level leaves, complete at size n
    const width = Math.min(256, count - index * 256);
    if (width <= 0) throw new VerifyError('tile_missing', { level, index });
    const path = `/tile/${level}/${tileIndexPath(index)}${width < 256 ? `.p/${width}` : ''}`;
    if (!this.tiles.has(path)) {
      const p = this.fetch(path).then((u8) => {
        if (u8.length !== width * 32) throw new VerifyError('tile_size', { path, length: u8.length, want: width * 32 });
        return u8;
      });
      p.catch(() => this.tiles.delete(path));
      this.tiles.set(path, p);
    }
    return this.tiles.get(path);
  }

  /** The hash of the subtree of 2^height leaves starting at leaf start (aligned). */
  async subtree(height, start) {
    const L = Math.floor(height / 8);
    const r = height % 8;
    const first = start / 256 ** L; // its first hash at tile level L
    const tile = await this.tile(L, Math.floor(first / 256));
    const at = first % 256;
    let row = [];
    for (let i = 0; i < 2 ** r; i++) row.push(tile.slice((at + i) * 32, (at + i + 1) * 32));
    while (row.length > 1) {
      const up = [];
      for (let i = 0; i < row.length; i += 2) up.push(await nodeHash(row[i], row[i + 1]));
      row = up;
    }
    return row[0];
  }

  /** MTH(D[lo:hi]) (RFC 6962 2.1). */
  async mth(lo, hi) {
    const size = hi - lo;
    const h = exactLog2(size);
    if (h >= 0 && lo % size === 0) return this.subtree(h, lo);
    const k = largestPow2Below(size);
    return nodeHash(await this.mth(lo, lo + k), await this.mth(lo + k, hi));
  }

  /** The consistency proof from size m to this tree's size (RFC 6962 2.1.2). */
  async consistency(m) {
    const out = [];
    const sub = async (lo, mm, hi, whole) => {
      if (lo + mm === hi) {
        if (!whole) out.push(await this.mth(lo, hi));
        return;
      }
      const k = largestPow2Below(hi - lo);
      if (mm <= k) {
        await sub(lo, mm, lo + k, whole);
        out.push(await this.mth(lo + k, hi));
      } else {
        await sub(lo + k, mm - k, hi, false);
        out.push(await this.mth(lo, lo + k));
      }
    };
    if (m > 0 && m < this.n) await sub(0, m, this.n, true);
    return out;
  }
}
