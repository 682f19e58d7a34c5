// What a page is: a plain object (pages.ts lists them). render() fills `root` for the route's date
// range; a live page hands what stops its refresh to onLeave().
import type { Route } from './range.js';

export interface PageContext {
  readonly root: HTMLElement;
  readonly route: Route;
  readonly signal: AbortSignal;
  /** run `stop` when the page is left (a live page's refresh timer) */
  onLeave(stop: () => void): void;
}

export interface Page {
  /** the address: #/<path> */
  readonly path: string;
  /** the navigation's label and the page's heading */
  readonly title: string;
  /** not in the navigation (a host's page, reached from the matrix) */
  readonly hidden?: boolean;
  render(ctx: PageContext): Promise<void>;
}
