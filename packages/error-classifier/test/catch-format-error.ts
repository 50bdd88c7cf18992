import { ReportFormatError } from "@workdeck/error-classifier";

/** The ReportFormatError `fn` throws (its code and message are what the tests check); any other outcome fails. */
export function catchError(fn: () => unknown): ReportFormatError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ReportFormatError) return error;
    throw error;
  }
  throw new Error("expected a ReportFormatError");
}
