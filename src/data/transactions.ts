export { readTransaction, writeTransaction } from "./dialect.ts";
