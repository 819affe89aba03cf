/** `multiprocessing.connection`: re-exported as the `connection` namespace of `shoal/multiprocessing`. */
export { Connection, type ConnectionOptions, DEFAULT_MAX_MESSAGE_SIZE } from "./connection.js";
export { Listener, Client, type Address, type Family, type ListenerOptions, type ClientOptions, type AcceptOptions } from "./listener.js";
export { wait, type Waitable } from "./wait.js";
export { answerChallenge, deliverChallenge } from "./auth.js";
export { AuthenticationError, BufferTooShort, EOFError } from "./errors.js";
