/** Every secret-bearing field a log line could carry (headers, token responses, bodies, errors). */
export const SECRET_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.access_token',
  '*.refresh_token',
  '*.id_token',
  '*.client_secret',
  '*.clientSecret',
  '*.code',
  '*.state',
  '*.pull_id',
  '*.token',
  '*.credentials',
];
