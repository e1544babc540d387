// Loaded right after htmx: its inline indicator <style> would break the CSP (no inline styles).
htmx.config.includeIndicatorStyles = false;
htmx.config.allowEval = false;
htmx.config.allowScriptTags = false;
htmx.config.historyCacheSize = 0; // pages may hold personal data: none kept in localStorage
