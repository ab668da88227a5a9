/**
 * The driver's files in every generated project: the protocol runner main (runner/), the XRT host
 * program (host/), the shared protocol header in both, and docs/protocol.md. Generate renders
 * them (registered in producers.ts); src/driver only builds and runs what was rendered.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Producer } from './context.js';
import { hlsDir, packageRoot } from '../util/paths.js';

const HOST_TEMPLATES = ['main.cpp', 'device.h', 'device.cpp', 'weights.h', 'activations.h', 'power.h'];

export const driverSources: Producer = (_design, ctx) => {
  const protocolHeader = readFileSync(join(hlsDir, 'runner', 'ubimoe_protocol.h'));
  return [
    { path: 'runner/protocol_main.cpp', content: ctx.render('runner/protocol_main.cpp.ejs') },
    { path: 'runner/ubimoe_protocol.h', content: protocolHeader },
    // the host is built from host/ alone (plus the kernels' config.h and the ap_* headers)
    { path: 'host/ubimoe_protocol.h', content: protocolHeader },
    ...HOST_TEMPLATES.map((f) => ({ path: `host/${f}`, content: ctx.render(`host/${f}.ejs`) })),
    { path: 'docs/protocol.md', content: readFileSync(join(packageRoot, 'docs', 'protocol.md')) },
  ];
};
