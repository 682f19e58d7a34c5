// placeholder until the .msg writer lands (step 4)
import type { Version } from './world.js';
export async function writeMsgExports(_dir: string, _vs: readonly Version[]): Promise<number> {
  throw new Error('.msg exports are not written yet');
}
