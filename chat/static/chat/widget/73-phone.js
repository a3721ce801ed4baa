// Fragment of /widget.js, concatenated in name order by chat.views.widget_loader.
  // ------------------------------------------------------------------ the phone rule
  // The callback form checks the phone number before it sends, with the rule that
  // GET /public/v1/lead-form carries as `phone` (leads/phonerule.py builds it from the
  // `phonenumbers` metadata the server validates with; docs/leads.md "The callback
  // request"). It never refuses a number the server takes: what it cannot judge
  // (another country's number, letters, an extension) is left to the server.

  const PHONE_SEPARATORS = /[\s\-.()/\u2010-\u2015\u2212]/g;

  // true: the number may be sent; false: the server would refuse it.
  function phoneLooksValid(raw, rule) {
    const text = String(raw || "").normalize("NFKC").replace(PHONE_SEPARATORS, "");
    if (!text || !rule || typeof rule.pattern !== "string") return true;
    if (!/^\+?\d*$/.test(text)) return true; // letters, "ext": the server decides
    let digits = text.replace(/^\+/, "");
    if (digits.length < 2) return false;
    const code = String(rule.country_code || "");
    let whole, general, prefix, idd;
    try {
      idd = new RegExp(`^(?:${rule.international_prefix || "$^"})`);
      whole = new RegExp(`^(?:${rule.pattern})$`);
      general = new RegExp(`^(?:${rule.general || ".*"})$`);
      prefix = rule.national_prefix ? new RegExp(`^(?:${rule.national_prefix})`) : null;
    } catch {
      return true; // a pattern this browser cannot read: the server checks
    }
    // Dialled abroad (+ and another country code, or the international call prefix):
    // only its length here, that country's rules on the server.
    if (text.startsWith("+") ? !digits.startsWith(code) : idd.test(digits)) {
      return digits.length >= 3 && digits.length <= 17;
    }
    if (text.startsWith("+")) digits = digits.slice(code.length);
    const lengths = Array.isArray(rule.lengths) ? rule.lengths : [];
    const longest = lengths.length ? Math.max(...lengths) : Infinity;
    // The national prefix (0 in Korea, with carrier codes) goes the way phonenumbers
    // drops it: not when that turns a plausible number into an implausible one, nor
    // when it leaves a length no number of the region has.
    const national = (number) => {
      const found = prefix ? prefix.exec(number) : null;
      if (!found || !found[0]) return number;
      const rest = number.slice(found[0].length);
      if (general.test(number) && !general.test(rest)) return number;
      return lengths.includes(rest.length) || rest.length > longest ? rest : number;
    };
    if (!text.startsWith("+") && code && digits.startsWith(code)) {
      // The country code written without its +, as phonenumbers reads it.
      const rest = national(digits.slice(code.length));
      if ((!general.test(digits) && general.test(rest)) || digits.length > longest) {
        return whole.test(rest);
      }
    }
    return whole.test(national(digits));
  }
