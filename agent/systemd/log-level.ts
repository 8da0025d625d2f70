// Changing the log level of a running agent. pino copies the level into every child logger
// when the child is made, and components keep their children for the life of the process
// (logger.child({ component })), so setting the root's level alone would change nothing they
// log. The root's onChild hook, inherited by every descendant, registers each child here
// (weakly: per-pod children come and go), and setLevel walks them.
import type { LevelWithSilent } from 'pino';
import type { Logger } from '../log/logger.js';

export type SetLogLevel = (level: LevelWithSilent) => void;

/** Starts tracking `root`'s descendants; call before any child is made. */
export function controlLogLevel(root: Logger): SetLogLevel {
  const children = new Set<WeakRef<Logger>>();
  const forget = new FinalizationRegistry<WeakRef<Logger>>((ref) => children.delete(ref));
  const previous = root.onChild;
  root.onChild = (child) => {
    const ref = new WeakRef(child);
    children.add(ref);
    forget.register(child, ref);
    previous(child);
  };
  return (level) => {
    root.level = level;
    for (const ref of children) {
      const child = ref.deref();
      if (child) child.level = level;
      else children.delete(ref);
    }
  };
}
