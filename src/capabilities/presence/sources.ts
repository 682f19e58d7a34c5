// The one list of presence sources. The presence section's `source:` choices, its per-source keys
// and `mxray config example` come from it; adding a source is a settings schema, an open() and a line
// here. Each source's code is imported only when it is opened (the XMPP client is not loaded by a
// Graph poller, nor by `mxray config check`).
import type * as z from 'zod';
import type { PresenceSource, SourceOptions } from './types.js';
import { graphSettings, xmppSettings, type GraphSettings, type XmppSettings } from './settings.js';

export interface SourceKind<S extends z.ZodType = z.ZodType> {
  /** the source's settings under presence.<kind> */
  readonly settings: S;
  /** its annotated example lines (indented for presence:) */
  readonly doc: string;
  /** the directory attribute that holds a user's id at the source, when it is not the IM address */
  readonly idAttribute?: (settings: z.output<S>) => string;
  open(settings: z.output<S>, opts: SourceOptions): Promise<PresenceSource>;
}

function kind<S extends z.ZodType>(k: SourceKind<S>): SourceKind<S> {
  return k;
}

export const presenceSources = {
  xmpp: kind({
    settings: xmppSettings,
    doc: `  xmpp:                                           # source: xmpp
    service: xmpps://im.corp.example:5223         # xmpps:// TLS from the start, or xmpp://host:5222 with STARTTLS
    domain: corp.example                          # default: the service's host
    jid: mxray-observer@corp.example              # the observer account
    passwordFile: /etc/mxray/xmpp.password        # or passwordEnv: NAME
    subscribe: true                               # ask users not on the roster for a subscription
    timeoutMs: 15000
`,
    open: async (s: XmppSettings, o) => (await import('./xmpp.js')).openXmppSource(s, o),
  }),
  graph: kind({
    settings: graphSettings,
    doc: `  # graph:                                       # source: graph (Microsoft Teams presence)
  #   baseUrl: https://graph.microsoft.com/v1.0
  #   tenant: contoso.onmicrosoft.com             # or tokenUrl: https://login.microsoftonline.com/ID/oauth2/v2.0/token
  #   clientId: 00000000-0000-0000-0000-000000000000  # app with Presence.Read.All (application)
  #   clientSecretFile: /etc/mxray/graph.secret   # or clientSecretEnv: NAME
  #   batchSize: 650                              # ids per getPresencesByUserId call (at most 650)
  #   idAttribute: msDS-ExternalDirectoryObjectId # the directory's copy of the Entra object id (User_<guid>)
`,
    idAttribute: (s: GraphSettings) => s.idAttribute,
    open: async (s: GraphSettings, o) => (await import('./graph.js')).openGraphSource(s, o),
  }),
} as const satisfies Record<string, SourceKind>;

export type SourceName = keyof typeof presenceSources;
export const sourceNames = Object.keys(presenceSources) as SourceName[];
