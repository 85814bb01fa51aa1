/** Types of nodeVersion.cjs. */
export declare const REQUIRED_NODE: string;
export declare function atLeast(found: string, required: string): boolean;
export declare function nodeVersionProblem(found: string, executable: string): string | undefined;
export declare function requireSupportedNode(): void;
