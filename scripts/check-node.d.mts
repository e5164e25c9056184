export declare const MINIMUM_NODE: string;
export declare const NODE_RECIPE: string;
export declare function nodeVersionProblem(version: string): string | null;
