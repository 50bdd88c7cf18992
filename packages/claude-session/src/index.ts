export * from "./messages";
export * from "./accounting";
export * from "./limits";
export * from "./classify";
