import { PerpkitCommand } from './base.js';
import { usageError } from '../domain/errors.js';

/**
 * Base of a pipeline command whose capability is not built yet: it parses its flags (so --help and
 * flag errors behave as they will), then says so and exits 2. It never pretends to have worked.
 */
export abstract class NotBuiltCommand extends PerpkitCommand<never> {
  /** The issue that builds it, for the message. */
  static issue = 0;

  protected async execute(): Promise<never> {
    await this.parse(this.constructor as typeof NotBuiltCommand);
    const ctor = this.constructor as typeof NotBuiltCommand;
    const tracked = ctor.issue > 0 ? `tracked in issue #${ctor.issue}` : `not yet scheduled`;
    throw usageError(`perpkit ${this.id ?? 'this command'} is not built yet (${tracked}); nothing was done`, {
      hint: 'see "perpkit --help" and the README for the commands that work today',
      details: { command: this.id, issue: ctor.issue },
    });
  }

  protected present(): void {}
}
