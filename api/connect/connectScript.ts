/**
 * GET /connect.js, the popup helper a client's page loads: `connectflow.connect(connect_uri)` opens the
 * connect page in a popup and resolves with `{connection_id}`, or rejects with an Error carrying
 * `{error, error_description}`: the provider's or the page's error, `popup_blocked` at once when the
 * browser refused the window, `window_closed` within a second of the user closing it. The outcome
 * comes by postMessage from connectflow's result page, accepted only from the popup at the connect
 * page's own origin. A successful popup is closed; one that shows an error stays for the user to read.
 * Plain ES2017, no dependencies; kept as text so no build step rewrites it.
 */
export const CONNECT_SCRIPT = String.raw`/* connectflow popup helper: connectflow.connect(connect_uri) -> Promise<{connection_id}> */
(function () {
  'use strict';
  var RESULT = 'connectflow:result';
  var CLOSED_POLL_MS = 250;

  function failure(error, description) {
    var err = new Error(error + ': ' + description);
    err.name = 'ConnectflowError';
    err.error = error;
    err.error_description = description;
    return err;
  }

  function centred(width, height) {
    var left = (window.screenX || 0) + Math.max(0, ((window.outerWidth || width) - width) / 2);
    var top = (window.screenY || 0) + Math.max(0, ((window.outerHeight || height) - height) / 2);
    return 'popup=yes,width=' + width + ',height=' + height + ',left=' + Math.round(left) + ',top=' + Math.round(top);
  }

  function connect(connectUri) {
    return new Promise(function (resolve, reject) {
      var url;
      try {
        url = new URL(String(connectUri), window.location.href);
      } catch (e) {
        url = null;
      }
      if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.pathname.indexOf('/connect/') !== 0) {
        reject(failure('invalid_request', 'connect_uri is not the address of a connectflow connect page'));
        return;
      }
      url.searchParams.set('opener_origin', window.location.origin);
      var popup = window.open(url.href, '_blank', centred(520, 720));
      if (!popup || popup.closed) {
        reject(failure('popup_blocked', 'the browser blocked the connect window; call connectflow.connect from a click handler'));
        return;
      }
      var settled = false;
      var watch = setInterval(function () {
        if (!settled && popup.closed) {
          settle();
          reject(failure('window_closed', 'the connect window was closed before the connection was made'));
        }
      }, CLOSED_POLL_MS);
      function settle() {
        settled = true;
        clearInterval(watch);
        window.removeEventListener('message', onMessage);
      }
      function onMessage(event) {
        if (settled || event.source !== popup || event.origin !== url.origin) return;
        var data = event.data;
        if (!data || data.type !== RESULT) return;
        settle();
        if (typeof data.connection_id === 'string') {
          resolve({ connection_id: data.connection_id });
          popup.close();
        } else {
          reject(failure(String(data.error || 'failed'), String(data.error_description || 'the connection was not made')));
        }
      }
      window.addEventListener('message', onMessage);
    });
  }

  window.connectflow = { connect: connect };
})();
`;
