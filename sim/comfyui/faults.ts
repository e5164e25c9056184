/** Test-only fault switches. Each is explicit and counted; nothing fails by chance. */

interface FailRule {
  remaining: number;
  status: number;
  pathPrefix: string | undefined;
}

export class Faults {
  private readonly failRules: FailRule[] = [];
  private oomRemaining = 0;
  /** Drop all sockets once this many more progress events were sent. */
  private dropAfter: number | undefined;

  failNextRequests(n: number, status = 500, pathPrefix?: string): void {
    this.failRules.push({ remaining: n, status, pathPrefix });
  }

  /** Status to answer instead of handling this request, if a rule matches (consumes one). */
  takeRequestFailure(pathname: string): number | undefined {
    const plain = pathname.startsWith('/api/') ? pathname.slice(4) : pathname;
    const rule = this.failRules.find((r) => r.remaining > 0 && (r.pathPrefix === undefined || pathname.startsWith(r.pathPrefix) || plain.startsWith(r.pathPrefix)));
    if (!rule) return undefined;
    rule.remaining--;
    return rule.status;
  }

  oomNext(n: number): void {
    this.oomRemaining += n;
  }

  takeOom(): boolean {
    if (this.oomRemaining <= 0) return false;
    this.oomRemaining--;
    return true;
  }

  dropSocketsAfter(k: number): void {
    this.dropAfter = k;
  }

  /** Counts one progress event; true when the sockets should be dropped now. */
  progressSent(): boolean {
    if (this.dropAfter === undefined) return false;
    this.dropAfter--;
    if (this.dropAfter > 0) return false;
    this.dropAfter = undefined;
    return true;
  }

  reset(): void {
    this.failRules.length = 0;
    this.oomRemaining = 0;
    this.dropAfter = undefined;
  }
}
