// Bootstrap Italia's bundle carries Video.js, which injects <style> elements at load: the CSP
// (style-src 'self') blocks them. Its documented switch keeps them out; its CSS is in the sheet.
window.VIDEOJS_NO_DYNAMIC_STYLE = true;
