/* verify/policy.js: a C2SP tlog-policy file (the operator serves it at
 * /policy) read and applied to a checkpoint.
 *
 *   log <vkey> [<url>]                   a log whose signature counts
 *   witness <name> <vkey> [<url>]        a cosigner (witness or mirror),
 *                                        its key a cosignature/v1 vkey
 *   group <name> all|any|<k> <name>...   k of its members witnessed
 *   quorum <name>|none                   exactly one: what a checkpoint needs
 *   # comments and blank lines           ignored; items split by spaces/tabs
 *
 * A group and the quorum name only what earlier lines defined; a member is
 * listed once in a group; two logs, or two witnesses, with one key are
 * refused, and so is a control character other than tab (a CR too). Every refusal is a VerifyError naming the line.
 * A checkpoint satisfies the policy when one of its logs (the one named by
 * the checkpoint's origin) signed it and the quorum witnessed it, a witness
 * witnessing when its cosignature over this very checkpoint verifies. */

import { VerifyError, parseVkey, verifyCheckpointSignature, verifyCosignatures, equalBytes } from '../verify.js';

const fail = (line, what) => new VerifyError('policy_line', { line, what });

/** {logs:[key], witnesses: Map name -> vkey, groups: Map name -> {k, members}, quorum} */
export async function parsePolicy(text) {
  const logs = [];
  const witnesses = new Map();
  const witnessKeys = new Map();
  const groups = new Map();
  let quorum = null;
  const lines = String(text).split('\n');
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const raw = lines[i];
    if (/[\x00-\x08\x0b-\x1f\x7f]/.test(raw)) throw fail(n, 'a control character');
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const w = line.split(/[ \t]+/);
    const defined = (name) => name === 'none' || witnesses.has(name) || groups.has(name);
    switch (w[0]) {
      case 'log': {
        if (w.length < 2 || w.length > 3) throw fail(n, 'log <vkey> [<url>]');
        let key;
        try { key = await parseVkey(w[1]); } catch { throw fail(n, 'a log key that is not a valid Ed25519 vkey'); }
        if (logs.some((k) => equalBytes(k.pub, key.pub))) throw fail(n, 'a log whose key an earlier line gives');
        logs.push(key);
        break;
      }
      case 'witness': {
        if (w.length < 3 || w.length > 4) throw fail(n, 'witness <name> <vkey> [<url>]');
        if (defined(w[1])) throw fail(n, `the name “${w[1]}” defined twice`);
        let key;
        try { key = await parseVkey(w[2], { cosig: true }); } catch { throw fail(n, 'a witness key that is not a valid cosignature/v1 vkey'); }
        if ([...witnessKeys.values()].some((k) => equalBytes(k.pub, key.pub))) throw fail(n, 'a witness whose key an earlier line gives');
        witnesses.set(w[1], w[2]);
        witnessKeys.set(w[1], key);
        break;
      }
      case 'group': {
        if (w.length < 4) throw fail(n, 'group <name> all|any|<k> <name>...');
        if (defined(w[1])) throw fail(n, `the name “${w[1]}” defined twice`);
        const members = w.slice(3);
        for (const m of members) {
          if (m === 'none' || !defined(m)) throw fail(n, `“${m}”, which no earlier line defines`);
        }
        if (new Set(members).size !== members.length) throw fail(n, 'a member listed twice');
        let k;
        if (w[2] === 'all') k = members.length;
        else if (w[2] === 'any') k = 1;
        else if (/^[1-9][0-9]*$/.test(w[2]) && Number(w[2]) <= members.length) k = Number(w[2]);
        else throw fail(n, `a threshold “${w[2]}” that is not all, any or 1 to ${members.length}`);
        groups.set(w[1], { k, members });
        break;
      }
      case 'quorum':
        if (w.length !== 2) throw fail(n, 'quorum <name>');
        if (quorum !== null) throw fail(n, 'a second quorum line');
        if (!defined(w[1])) throw fail(n, `“${w[1]}”, which no earlier line defines`);
        quorum = w[1];
        break;
      default:
        throw fail(n, `an unknown keyword “${w[0]}”`);
    }
  }
  if (quorum === null) throw new VerifyError('policy_no_quorum');
  return { logs, witnesses, groups, quorum };
}

/**
 * Applies policy to checkpoint cp. fallbackKey: the log key to use when the
 * policy lists no log. Answers {signature: {state, reason?}, quorum:
 * {state: 'met'|'not_met'|'unsupported', witnessed: [names], need: name}}.
 */
export async function applyPolicy(policy, cp, fallbackKey) {
  const key = policy.logs.length ? policy.logs.find((k) => k.name === cp.origin) : fallbackKey;
  const signature = key ? await verifyCheckpointSignature(cp, key)
    : { state: 'failed', reason: new VerifyError('policy_no_log', { origin: cp.origin }) };
  const names = [...policy.witnesses.keys()];
  const cosigs = await verifyCosignatures(cp, names.map((n) => policy.witnesses.get(n)));
  const witnessed = new Set(names.filter((n, i) => cosigs[i].state === 'verified'));
  const unsupported = cosigs.some((c) => c.state === 'unsupported');
  const holds = (name) => {
    if (name === 'none') return true;
    if (witnessed.has(name)) return true;
    const g = policy.groups.get(name);
    return g ? g.members.filter(holds).length >= g.k : false;
  };
  const met = holds(policy.quorum);
  return {
    signature,
    quorum: { state: met ? 'met' : unsupported ? 'unsupported' : 'not_met', witnessed: [...witnessed], need: policy.quorum },
  };
}
