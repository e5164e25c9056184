import type { Bindings, Logger } from 'pino';

type MakeChild = (parent: Logger, bindings: Bindings) => Logger;

const logMethods = new Set<PropertyKey>(['fatal', 'error', 'warn', 'info', 'debug', 'trace']);
const noop = (): void => {};

/** The pino logger behind a deferred child, made on first need; a plain pino logger is its own. */
const materialisers = new WeakMap<object, () => Logger>();
export const realLogger = (logger: Logger): Logger => materialisers.get(logger)?.() ?? logger;

/**
 * A child logger that makes its pino child (and sanitises its bindings) only when it first writes
 * a line at an enabled level or is used in any other way. Most per-job and per-request children
 * write nothing at the configured level; they then cost one small object instead of a sanitising
 * walk and a serialised bindings string. Until then its level is its parent's, as it is for a
 * pino child made without options.
 *
 * `bindings` is copied at once, so later changes to the caller's object do not reach the line;
 * its values are read (and sanitised) when the child is made.
 */
export function deferredChild(parent: Logger, bindings: Bindings, make: MakeChild): Logger {
  const own = { ...bindings };
  let real: Logger | undefined;
  const materialise = (): Logger => (real ??= make(realLogger(parent), own));
  const boundMethods = new WeakMap<object, unknown>();
  const forward = (prop: PropertyKey): unknown => {
    const target = materialise();
    const value: unknown = Reflect.get(target, prop, target);
    if (typeof value !== 'function') return value;
    // Called through the proxy, a pino method must still see the real logger as `this`.
    let bound = boundMethods.get(value);
    if (!bound) boundMethods.set(value, (bound = value.bind(target)));
    return bound;
  };
  const proxy: Logger = new Proxy({} as Logger, {
    get(_target, prop) {
      if (real === undefined) {
        if (logMethods.has(prop) && !parent.isLevelEnabled(prop as string)) return noop;
        if (prop === 'isLevelEnabled') return (level: string) => parent.isLevelEnabled(level);
        if (prop === 'level') return parent.level;
        if (prop === 'levelVal') return parent.levelVal;
        if (prop === 'child') return (childBindings: Bindings, options?: object) => (options == null ? deferredChild(proxy, childBindings, make) : materialise().child(childBindings, options));
      }
      return forward(prop);
    },
    set: (_target, prop, value) => Reflect.set(materialise(), prop, value),
    has: (_target, prop) => prop in materialise(),
    getPrototypeOf: () => Object.getPrototypeOf(materialise()) as object | null,
  });
  materialisers.set(proxy, materialise);
  return proxy;
}
