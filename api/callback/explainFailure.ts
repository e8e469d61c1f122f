/** A flow's error in plain words for the end user, with what to do next. */
export function explainFailure(error: string, provider: string): { title: string; text: string } {
  switch (error) {
    case 'access_denied':
      return {
        title: 'You did not allow access',
        text: `Nothing was connected. If you meant to connect ${provider}, go back to the app and start again, then allow access at ${provider}.`,
      };
    case 'expired':
      return {
        title: 'This link has expired',
        text: 'The connection was not made in the time allowed. Go back to the app and start again.',
      };
    case 'already_used':
      return {
        title: 'This sign-in was already used',
        text: 'Go back to the app: it has the result of the first one.',
      };
    case 'temporarily_unavailable':
    case 'server_error':
    case 'provider_unavailable':
      return {
        title: `${provider} could not be reached just now`,
        text: 'Nothing was connected. Reload this page in a moment, or go back to the app and try again in a few minutes.',
      };
    case 'invalid_scope':
      return {
        title: `${provider} did not accept the access asked for`,
        text: `The app asked for permissions ${provider} does not grant to your account. Trying again will not help: tell the app's support.`,
      };
    default:
      return {
        title: `${provider} did not connect`,
        text: "Nothing was connected. Go back to the app and try again; if it keeps failing, tell the app's support the error below.",
      };
  }
}
