import { DEFAULT_PERMISSIONS } from '../gateway-payloads.ts';
import type { SimState } from '../state.ts';
import type { SimUser } from '../types.ts';

// What Genonaut's moderators need: Manage Server for /genadmin, Manage Messages for others' results.
const MODERATOR_BITS = (1n << 5n) | (1n << 13n);

export interface PlaygroundMember {
  user: SimUser;
  moderator: boolean;
  /** `member.permissions` sent with this member's interactions; moderators add Manage Server and Manage Messages. */
  permissions: string;
}

/** Who the page can act as. Until one is added, every user of the stand-in is an ordinary member. */
export class PlaygroundMembers {
  readonly #state: SimState;
  readonly #members = new Map<string, PlaygroundMember>();

  constructor(state: SimState) {
    this.#state = state;
  }

  add(user: SimUser, opts: { moderator?: boolean } = {}): PlaygroundMember {
    const moderator = opts.moderator ?? false;
    const permissions = moderator ? (BigInt(DEFAULT_PERMISSIONS) | MODERATOR_BITS).toString() : DEFAULT_PERMISSIONS;
    const member = { user, moderator, permissions };
    this.#members.set(user.id, member);
    return member;
  }

  list(): PlaygroundMember[] {
    if (this.#members.size) return [...this.#members.values()];
    return [...this.#state.users.values()]
      .filter((u) => u.id !== this.#state.botUser.id)
      .map((user) => ({ user, moderator: false, permissions: DEFAULT_PERMISSIONS }));
  }

  get(id: string): PlaygroundMember | undefined {
    return this.list().find((m) => m.user.id === id);
  }
}
