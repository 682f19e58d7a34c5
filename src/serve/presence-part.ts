// The presence poller as a part of serve: enrols the users of the directory section and samples them
// every interval of the presence section, recording into the store serve holds (cli/presence.ts).
import type { Part } from './part.js';
import { pollSections, startPresencePoller } from '../cli/presence.js';

export const presencePart: Part = {
  name: 'presence',
  section: 'presence',
  async start(ctx) {
    const { presence, directory } = pollSections(ctx.config);
    return startPresencePoller({ presence, directory, store: ctx.store, log: ctx.log, signal: ctx.signal });
  },
};
