// The part of @xmpp/client (0.14, shipped without types) that mxray uses.
declare module '@xmpp/client' {
  import type { EventEmitter } from 'node:events';

  export interface Element {
    readonly name: string;
    readonly attrs: Record<string, string | undefined>;
    is(name: string, xmlns?: string): boolean;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    getChildElements(): Element[];
    toString(): string;
  }

  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: (Element | string)[]): Element;
  export namespace xml {
    const Element: new (...args: unknown[]) => Element;
  }

  export interface Jid {
    local: string;
    domain: string;
    resource: string;
    bare(): Jid;
    toString(): string;
  }
  export function jid(s: string): Jid;

  export interface IqContext {
    readonly stanza: Element;
    readonly element: Element;
    readonly from: string;
  }

  export interface Client extends EventEmitter {
    readonly status: string;
    readonly jid?: Jid;
    start(): Promise<Jid>;
    stop(): Promise<void>;
    send(...elements: Element[]): Promise<void>;
    readonly reconnect: { stop(): void; start(): void };
    readonly iqCaller: { get(el: Element, to?: string, timeout?: number): Promise<Element>; request(el: Element, timeout?: number): Promise<Element> };
    readonly iqCallee: {
      set(ns: string, name: string, handler: (ctx: IqContext) => unknown): void;
      get(ns: string, name: string, handler: (ctx: IqContext) => unknown): void;
    };
  }

  export interface ClientOptions {
    service: string;
    domain?: string;
    resource?: string;
    username?: string;
    password?: string;
  }

  export function client(options: ClientOptions): Client;
}
