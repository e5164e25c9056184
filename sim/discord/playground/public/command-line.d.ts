// Types for the page's command-line module, so Node tests can import it.
export interface CommandOptionDef {
  type: number;
  name: string;
  description?: string;
  required?: boolean;
  autocomplete?: boolean;
  options?: CommandOptionDef[];
  choices?: { name: string; value: string | number }[];
}
export interface CommandDef {
  name: string;
  type?: number;
  description?: string;
  options?: CommandOptionDef[];
}
export interface Focused {
  name: string;
  value: string;
  raw: string;
  autocomplete: boolean;
  choices: { name: string; value: string | number }[];
}
export interface TypedOption {
  name: string;
  value?: string | number | boolean;
  options?: TypedOption[];
}
export interface ParsedCommandLine {
  command?: CommandDef;
  /** The option definitions at the level being typed (the subcommands while one is still to be chosen). */
  defs?: CommandOptionDef[];
  /** Names of the options given a value at that level. */
  used?: string[];
  options?: TypedOption[];
  autocompleteOptions?: TypedOption[];
  focused?: Focused;
  missing?: string[];
  error?: string;
}
export declare function matchingCommands(text: string, commands: CommandDef[]): CommandDef[];
export declare function parseCommandLine(text: string, commands: CommandDef[]): ParsedCommandLine;
export declare function replaceFocusedValue(text: string, focused: Focused, value: string): string;
