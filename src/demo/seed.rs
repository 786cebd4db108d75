//! A deterministic demo inbox for "Northwind Cloud", a small SaaS company answering its
//! customers on Crisp. The demo Crisp server serves it and integration tests use it as ground
//! truth, so every value follows the object shapes of `crisp-api.md` §4 and nothing depends on
//! the clock, on hash ordering or on anything but the requested size.
//!
//! Threads are composed from per-topic scripted exchanges whose placeholders (`{first}`,
//! `{invoice}`, ...) are filled with per-conversation details, then cut according to the
//! conversation state (pending threads stop before the first reply, resolved ones get a
//! closing), and garnished with private notes, pickers and animations.

use std::collections::{BTreeMap, HashSet};

use fastrand::Rng;
use serde_json::{json, Map, Value};

/// The website id the demo inbox belongs to.
pub const DEMO_WEBSITE_ID: &str = "8c1d4c35-5d7b-4b0a-9f51-2f3c9e8a7b10";
/// A fixed "now" (ms since epoch) so data never depends on the clock: 2026-11-01T12:00:00Z.
pub const DEMO_NOW_MS: i64 = 1_793_534_400_000;
/// The default size used by `--demo`: 180 conversations.
pub const DEFAULT_CONVERSATIONS: usize = 180;
/// The session id of the first (newest) conversation; the API reference's examples use it.
pub const REFERENCE_SESSION_ID: &str = "session_abc123";
/// The email of the one contact matching the API reference's placeholder (kept last).
pub const PLACEHOLDER_EMAIL: &str = "[email protected]";
/// The inboxes conversations are routed to: (inbox_id, name).
pub const DEMO_INBOXES: [(&str, &str); 3] = [
    ("2b1f6c1e-7d43-4e0a-8a55-3c9d0e6f1a21", "Support"),
    ("5e8a0d94-1c3b-4f6e-9b27-8d4c2a7e5f03", "Billing"),
    ("a7c3e915-6b28-4d1f-8e40-9f2b5c1d3e68", "Sales"),
];

/// The generated inbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Seed {
    /// Conversation objects (crisp-api.md §4.1), newest `updated_at` first (the order Crisp lists them).
    pub conversations: Vec<Value>,
    /// Messages per session_id, ascending by timestamp (§4.2). Every conversation has an entry.
    pub messages: BTreeMap<String, Vec<Value>>,
    /// People profiles (§4.3), in a stable order (newest created first).
    pub contacts: Vec<Value>,
    /// Campaign list items (§4.4).
    pub campaigns: Vec<Value>,
    /// The operator's user profile (`user/account/profile`, §4.5): user_id, email, avatar, phone, first_name, last_name, locale.
    pub operator: Value,
    /// Other operators who appear in threads: Vec of {user_id, nickname, avatar}.
    pub operators: Vec<Value>,
}

/// Build the inbox with `conversations` conversations (>= 1; 0 is treated as 1).
/// Same input, same output, always.
pub fn generate(conversations: usize) -> Seed {
    let count = conversations.max(1);
    let mut contacts = build_contacts((count / 2).max(MIN_CONTACTS));
    let mut listed = Vec::with_capacity(count);
    let mut messages = BTreeMap::new();
    for index in 0..count {
        let thread = build_conversation(index, &contacts);
        contacts[thread.contact].record(&thread);
        messages.insert(thread.session_id.clone(), thread.messages);
        listed.push((thread.updated_at, thread.session_id, thread.conversation));
    }
    // Newest first like Crisp; the session id breaks ties so the order never depends on luck.
    listed.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    contacts.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| a.people_id.cmp(&b.people_id))
    });
    let mut contact_values: Vec<Value> = contacts.iter().map(contact_value).collect();
    contact_values.push(placeholder_contact());
    Seed {
        conversations: listed.into_iter().map(|(_, _, c)| c).collect(),
        messages,
        contacts: contact_values,
        campaigns: campaigns(),
        operator: operator_profile(),
        operators: OPERATORS.iter().map(operator_excerpt).collect(),
    }
}

/// The operator the REPL logs in as (`user/account/profile`).
pub fn operator_profile() -> Value {
    let alex = &OPERATORS[0];
    json!({
        "user_id": alex.user_id,
        "email": alex.email,
        "avatar": alex.avatar,
        "phone": alex.phone,
        "first_name": alex.first,
        "last_name": alex.last,
        "locale": "en",
    })
}

// ---------------------------------------------------------------------------------------------
// Time, randomness and small helpers

const SECOND: i64 = 1_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// Regular contacts generated even for tiny inboxes, so the people list pages a few times.
const MIN_CONTACTS: usize = 120;
/// Fingerprints start here so they look like real ones (and exceed 2^31).
const FINGERPRINT_BASE: i64 = 163_613_151_617_340;
/// Room per conversation in the fingerprint space (threads stay far below 200 messages).
const FINGERPRINT_STRIDE: i64 = 1_000;

const CONTACT_SALT: u64 = 0x6e6f_7274_6877_696e;
const CONVERSATION_SALT: u64 = 0x636f_6e76_6572_7361;
const CAMPAIGN_SALT: u64 = 0x6361_6d70_6169_676e;

/// An independent random stream per item, so an item does not change when others are added.
fn sub_rng(salt: u64, index: usize) -> Rng {
    Rng::with_seed(salt ^ (index as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> &'a T {
    &items[rng.usize(..items.len())]
}

/// `pick` for string tables, giving back the `'static` string itself.
fn pick_str(rng: &mut Rng, items: &[&'static str]) -> &'static str {
    items[rng.usize(..items.len())]
}

fn chance(rng: &mut Rng, percent: u8) -> bool {
    rng.u8(..100) < percent
}

/// A random UUID v4, lowercase.
fn uuid(rng: &mut Rng) -> String {
    let mut x = rng.u128(..);
    x = (x & !(0xf << 76)) | (0x4 << 76);
    x = (x & !(0x3 << 62)) | (0x2 << 62);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        x >> 96,
        (x >> 80) & 0xffff,
        (x >> 64) & 0xffff,
        (x >> 48) & 0xffff,
        x & 0xffff_ffff_ffff
    )
}

fn hex32(rng: &mut Rng) -> String {
    format!("{:032x}", rng.u128(..))
}

/// (year, month, day) of a UTC timestamp (Howard Hinnant's civil-from-days).
fn civil_date(ms: i64) -> (i64, usize, i64) {
    let z = ms.div_euclid(DAY) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as usize, day)
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// "October 14", the way people write dates in chat.
fn spoken_date(ms: i64) -> String {
    let (_, month, day) = civil_date(ms);
    format!("{} {day}", MONTHS[month - 1])
}

/// "2025-03-14", for custom data fields.
fn iso_date(ms: i64) -> String {
    let (year, month, day) = civil_date(ms);
    format!("{year:04}-{month:02}-{day:02}")
}

/// "1,188.00" with a currency symbol in front.
fn money(cents: i64, currency: Currency) -> String {
    let units = group_digits(cents / 100);
    format!("{}{units}.{:02}", currency.symbol(), cents % 100)
}

/// "12,480".
fn group_digits(n: i64) -> String {
    let digits = n.to_string();
    let mut grouped = String::with_capacity(digits.len() + 4);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// Lowercase ASCII for email local parts, domains and file names ("Łukasz" -> "lukasz").
fn ascii_slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let folded = match c {
            'a'..='z' | '0'..='9' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'ā' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'ē' | 'É' => 'e',
            'í' | 'ì' | 'î' | 'ï' | 'ı' | 'İ' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' | 'Ø' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ñ' => 'n',
            'ç' | 'č' | 'ć' => 'c',
            'ł' | 'Ł' => 'l',
            'ř' => 'r',
            'š' | 'ş' | 'Ş' => 's',
            'ž' => 'z',
            'ğ' => 'g',
            'ý' => 'y',
            _ => continue,
        };
        out.push(folded);
    }
    out
}

/// The first 120 characters, like the previews Crisp shows in the inbox.
fn excerpt(text: &str) -> String {
    const LIMIT: usize = 120;
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", text[..cut].trim_end()),
        None => text.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Contacts

/// A contact while the inbox is being built; turned into a §4.3 profile at the end.
struct Contact {
    seed: u64,
    people_id: String,
    first: &'static str,
    last: &'static str,
    female: bool,
    nickname: String,
    email: String,
    culture: &'static Culture,
    place: &'static Place,
    company: Option<&'static Company>,
    title: Option<&'static Title>,
    plan: Plan,
    /// The customer's workspace at Northwind: the company, or a freelancer's own business.
    workspace: String,
    /// The customer's own web domain (company domain, or the freelancer's site).
    site: String,
    phone: Option<String>,
    avatar: Option<String>,
    vip: bool,
    /// Licensed seats of the workspace.
    seats: u16,
    /// When the workspace signed up: before any of its conversations.
    signup: i64,
    created_at: i64,
    updated_at: i64,
    last_active: i64,
    active_now: bool,
}

impl Contact {
    /// Keep the profile consistent with its conversations: created before the first one,
    /// updated and active with the latest one.
    fn record(&mut self, thread: &Thread) {
        let lead = (thread.created_at.rem_euclid(9) + 1) * DAY;
        self.created_at = self.created_at.min(thread.created_at - lead);
        self.updated_at = self.updated_at.max(thread.updated_at);
        self.last_active = self.last_active.max(thread.visitor_last);
        self.active_now |= thread.active_now;
    }

    fn region_segment(&self) -> &'static str {
        match self.place.tz {
            tz if tz >= 120 => "amer",
            tz if tz <= -300 => "apac",
            _ => "emea",
        }
    }
}

/// Names and emails already given out.
#[derive(Default)]
struct Taken {
    names: HashSet<String>,
    emails: HashSet<String>,
}

fn build_contacts(count: usize) -> Vec<Contact> {
    let mut taken = Taken::default();
    (0..count)
        .map(|index| new_contact(index, &mut taken))
        .collect()
}

/// A person's name and where it comes from.
struct Name {
    culture: &'static Culture,
    female: bool,
    first: &'static str,
    last: &'static str,
}

fn random_name(rng: &mut Rng) -> Name {
    let culture = pick(rng, CULTURES);
    let female = rng.bool();
    let firsts = if female { culture.female } else { culture.male };
    Name {
        culture,
        female,
        first: pick_str(rng, firsts),
        last: pick_str(rng, culture.last),
    }
}

/// A name not used yet when possible (large inboxes run out and get namesakes).
fn pick_name(rng: &mut Rng, taken: &mut Taken) -> Name {
    let mut name = random_name(rng);
    for _ in 0..8 {
        if taken.names.insert(format!("{} {}", name.first, name.last)) {
            break;
        }
        name = random_name(rng);
    }
    name
}

fn new_contact(index: usize, taken: &mut Taken) -> Contact {
    let mut rng = sub_rng(CONTACT_SALT, index);
    let seed = rng.u64(..);
    let Name {
        culture,
        female,
        first,
        last,
    } = pick_name(&mut rng, taken);
    let place = pick(&mut rng, culture.places);
    let company = chance(&mut rng, 85).then(|| pick(&mut rng, COMPANIES));
    let title = company.and_then(|_| chance(&mut rng, 92).then(|| pick(&mut rng, TITLES)));
    let (workspace, site, plan) = match company {
        Some(c) => (c.name.to_owned(), c.domain.to_owned(), c.plan),
        None => freelance_workspace(last, &mut rng),
    };
    let local = email_local(
        first,
        last,
        company.map_or(EmailStyle::Personal, |c| c.style),
        &mut rng,
    );
    // A few '+' tags so clients have to URL-encode emails used as people ids.
    let local = if index % 37 == 5 {
        format!("{local}+{}", PLUS_TAGS[index / 37 % PLUS_TAGS.len()])
    } else {
        local
    };
    let domain = company.map_or_else(|| pick_str(&mut rng, MAIL_PROVIDERS), |c| c.domain);
    let email = unique_email(&local, domain, &mut taken.emails);
    let created_at = DEMO_NOW_MS - rng.i64(2 * DAY..900 * DAY);
    let updated_at = created_at + rng.i64(0..DEMO_NOW_MS - created_at);
    Contact {
        seed,
        people_id: uuid(&mut rng),
        first,
        last,
        female,
        nickname: format!("{first} {last}"),
        email,
        culture,
        place,
        company,
        title,
        plan,
        workspace,
        site,
        phone: chance(&mut rng, 55).then(|| phone_number(place, &mut rng)),
        avatar: chance(&mut rng, 40)
            .then(|| format!("https://www.gravatar.com/avatar/{}", hex32(&mut rng))),
        vip: chance(&mut rng, 8),
        // Freelancers work alone or with an assistant or two.
        seats: if company.is_some() {
            rng.u16(3..60)
        } else {
            rng.u16(1..4)
        },
        signup: DEMO_NOW_MS - rng.i64(160 * DAY..1_200 * DAY),
        created_at,
        updated_at,
        last_active: updated_at,
        active_now: false,
    }
}

/// Freelancers sign up with a personal address and name the workspace after themselves.
fn freelance_workspace(last: &str, rng: &mut Rng) -> (String, String, Plan) {
    let suffix = pick(rng, FREELANCE_SUFFIXES);
    let workspace = format!("{last} {suffix}");
    let site = format!("{}-{}.com", ascii_slug(last), ascii_slug(suffix));
    let plan = if chance(rng, 70) {
        Plan::Starter
    } else {
        Plan::Pro
    };
    (workspace, site, plan)
}

fn email_local(first: &str, last: &str, style: EmailStyle, rng: &mut Rng) -> String {
    let (f, l) = (ascii_slug(first), ascii_slug(last));
    let initial = f.get(..1).unwrap_or("x");
    match style {
        EmailStyle::FirstDotLast => format!("{f}.{l}"),
        EmailStyle::First => f,
        EmailStyle::InitialLast => format!("{initial}{l}"),
        EmailStyle::FirstUnderscoreLast => format!("{f}_{l}"),
        EmailStyle::Personal if chance(rng, 50) => format!("{f}.{l}{}", rng.u8(70..100)),
        EmailStyle::Personal => format!("{f}{l}"),
    }
}

/// Emails are unique across the inbox: a clash gets a number ("maria.gonzalez2@...").
fn unique_email(local: &str, domain: &str, taken: &mut HashSet<String>) -> String {
    let mut candidate = format!("{local}@{domain}");
    let mut n = 2;
    while !taken.insert(candidate.clone()) {
        candidate = format!("{local}{n}@{domain}");
        n += 1;
    }
    candidate
}

/// A phone number in the place's country format; North American ones use the fictional 555-01xx range.
fn phone_number(place: &Place, rng: &mut Rng) -> String {
    if place.dial == "+1" {
        format!("+1 {} 555 01{:02}", rng.u16(201..990), rng.u8(..100))
    } else {
        format!(
            "{} {} {:03} {:04}",
            place.dial,
            rng.u16(20..99),
            rng.u16(..1_000),
            rng.u16(..10_000)
        )
    }
}

fn geolocation(place: &Place) -> Value {
    json!({
        "country": place.country,
        "region": place.region,
        "city": place.city,
        "coordinates": {"latitude": place.lat, "longitude": place.lon},
    })
}

fn contact_value(contact: &Contact) -> Value {
    // The optional extras come from the contact's own stream, fixed at creation.
    let mut rng = Rng::with_seed(contact.seed);
    let mut profile = Map::new();
    profile.insert("people_id".into(), json!(contact.people_id));
    profile.insert("email".into(), json!(contact.email));
    profile.insert("person".into(), person_value(contact, &mut rng));
    if let Some(company) = contact.company {
        profile.insert("company".into(), company_value(company));
    }
    profile.insert(
        "segments".into(),
        json!(contact_segments(contact, &mut rng)),
    );
    if chance(&mut rng, 30) {
        profile.insert("notepad".into(), json!(pick(&mut rng, NOTEPADS)));
    }
    profile.insert("score".into(), json!(rng.u8(5..100)));
    profile.insert(
        "active".into(),
        json!({"now": contact.active_now, "last": contact.last_active}),
    );
    profile.insert("created_at".into(), json!(contact.created_at));
    profile.insert("updated_at".into(), json!(contact.updated_at));
    Value::Object(profile)
}

fn person_value(contact: &Contact, rng: &mut Rng) -> Value {
    let mut person = Map::new();
    person.insert("nickname".into(), json!(contact.nickname));
    if let Some(avatar) = &contact.avatar {
        person.insert("avatar".into(), json!(avatar));
    }
    if chance(rng, 45) {
        let gender = if contact.female { "female" } else { "male" };
        person.insert("gender".into(), json!(gender));
    }
    if let Some(phone) = &contact.phone {
        person.insert("phone".into(), json!(phone));
    }
    if chance(rng, 30) {
        let place = contact.place;
        let address = format!(
            "{} {}, {} {}, {}",
            rng.u16(1..240),
            place.street,
            place.postcode,
            place.city,
            place.country_name
        );
        person.insert("address".into(), json!(address));
    }
    if let (Some(title), true) = (contact.title, chance(rng, 40)) {
        let line = format!(
            "{} at {}. {}",
            title.name,
            contact.workspace,
            pick(rng, BIO_LINES)
        );
        person.insert("description".into(), json!(line));
    }
    if chance(rng, 20) {
        let website = format!("https://{}", contact.site);
        person.insert("website".into(), json!(website));
    }
    person.insert("timezone".into(), json!(contact.place.tz));
    person.insert("locales".into(), json!(contact.culture.locales));
    if chance(rng, 40) {
        person.insert("profiles".into(), social_profiles(contact, rng));
    }
    if let (Some(company), Some(title)) = (contact.company, contact.title) {
        person.insert(
            "employment".into(),
            json!({
                "name": company.name,
                "domain": company.domain,
                "title": title.name,
                "role": title.role,
                "seniority": title.seniority,
            }),
        );
    }
    person.insert("geolocation".into(), geolocation(contact.place));
    Value::Object(person)
}

fn social_profiles(contact: &Contact, rng: &mut Rng) -> Value {
    let (first, last) = (ascii_slug(contact.first), ascii_slug(contact.last));
    let linkedin = format!("{first}-{last}-{:04x}", rng.u16(..));
    let mut profiles = vec![json!({
        "type": "linkedin",
        "handle": linkedin,
        "url": format!("https://www.linkedin.com/in/{linkedin}"),
    })];
    if chance(rng, 50) {
        let handle = format!("{}{last}", first.get(..1).unwrap_or("x"));
        profiles.push(json!({
            "type": "twitter",
            "handle": handle,
            "url": format!("https://twitter.com/{handle}"),
        }));
    }
    Value::Array(profiles)
}

fn company_value(company: &Company) -> Value {
    let hq = &company.hq;
    json!({
        "name": company.name,
        "legal_name": company.legal_name,
        "domain": company.domain,
        "url": format!("https://{}", company.domain),
        "description": company.about,
        "timezone": hq.tz,
        "phones": [format!("{} {}", hq.dial, company.phone)],
        "emails": [format!("hello@{}", company.domain)],
        "geolocation": geolocation(hq),
        "metrics": {
            "employees": company.employees,
            "market_cap": company.market_cap,
            "raised": company.raised,
            "arr": company.arr,
        },
        "tags": company.tags,
    })
}

fn contact_segments(contact: &Contact, rng: &mut Rng) -> Vec<&'static str> {
    let mut segments = vec![contact.plan.segment(), "customer", contact.region_segment()];
    if contact.vip {
        segments.push("vip");
    }
    if contact.title.is_some_and(|t| t.role == "engineering") {
        segments.push("developer");
    }
    for (segment, percent) in [("newsletter", 45), ("beta-tester", 10), ("churn-risk", 6)] {
        if chance(rng, percent) {
            segments.push(segment);
        }
    }
    segments
}

/// The contact behind the API reference's placeholder email, kept last and never changed.
fn placeholder_contact() -> Value {
    let created = DEMO_NOW_MS - 1_000 * DAY;
    json!({
        "people_id": "0f6b2f4e-6c1a-4d8e-9a3b-5e7c9d1f2a40",
        "email": PLACEHOLDER_EMAIL,
        "person": {
            "nickname": "Reference Example",
            "timezone": 0,
            "locales": ["en"],
            "geolocation": geolocation(&LONDON),
        },
        "segments": ["reference"],
        "notepad": "Matches the placeholder address used in the Crisp API reference.",
        "score": 0,
        "active": {"now": false, "last": created},
        "created_at": created,
        "updated_at": created,
    })
}

// ---------------------------------------------------------------------------------------------
// Conversations

/// What a conversation slot holds; fixed by its index so counts are predictable.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Shape {
    /// `session_abc123`, the API reference's example.
    Reference,
    /// Spam from a visitor who got blocked.
    Spam,
    /// A long incident thread (45+ messages) that exercises message paging.
    Incident,
    Regular,
}

fn shape_of(index: usize) -> Shape {
    match index {
        0 => Shape::Reference,
        _ if index % 60 == 29 => Shape::Spam,
        _ if index % 15 == 7 => Shape::Incident,
        _ => Shape::Regular,
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ConvState {
    Pending,
    Unresolved,
    Resolved,
}

impl ConvState {
    fn name(self) -> &'static str {
        match self {
            ConvState::Pending => "pending",
            ConvState::Unresolved => "unresolved",
            ConvState::Resolved => "resolved",
        }
    }

    fn status(self) -> u8 {
        match self {
            ConvState::Pending => 0,
            ConvState::Unresolved => 1,
            ConvState::Resolved => 2,
        }
    }
}

fn pick_state(shape: Shape, rng: &mut Rng) -> ConvState {
    match shape {
        Shape::Reference => ConvState::Unresolved,
        Shape::Spam => ConvState::Resolved,
        Shape::Incident if chance(rng, 60) => ConvState::Resolved,
        Shape::Incident => ConvState::Unresolved,
        Shape::Regular => match rng.u8(..100) {
            0..=21 => ConvState::Pending,
            22..=51 => ConvState::Unresolved,
            _ => ConvState::Resolved,
        },
    }
}

/// When the thread's last message was sent. Open threads are recent; `session_abc123` is the
/// newest of all (every other thread ends at least five minutes before "now").
fn pick_end(shape: Shape, state: ConvState, rng: &mut Rng) -> i64 {
    if shape == Shape::Reference {
        return DEMO_NOW_MS - 3 * MINUTE;
    }
    let (min, max) = match state {
        ConvState::Pending => (5 * MINUTE, 3 * DAY),
        ConvState::Unresolved => (10 * MINUTE, 21 * DAY),
        ConvState::Resolved => (45 * MINUTE, 150 * DAY),
    };
    // The smaller of two draws leans towards recent activity, like a real inbox.
    let age = rng.i64(min..max).min(rng.i64(min..max));
    DEMO_NOW_MS - age
}

/// Alex (the logged-in operator) handles about a third of the conversations.
fn pick_operator(rng: &mut Rng) -> usize {
    if chance(rng, 30) {
        0
    } else {
        1 + rng.usize(..OPERATORS.len() - 1)
    }
}

fn pick_assignee(shape: Shape, state: ConvState, rng: &mut Rng) -> Option<usize> {
    let unassigned = match (shape, state) {
        (Shape::Reference, _) => return Some(0),
        (_, ConvState::Pending) => 75,
        (_, ConvState::Unresolved) => 20,
        (_, ConvState::Resolved) => 6,
    };
    (!chance(rng, unassigned)).then(|| pick_operator(rng))
}

/// Spam comes from throwaway personal addresses; everyone else can be anyone.
fn pick_contact(shape: Shape, contacts: &[Contact], rng: &mut Rng) -> usize {
    let start = match shape {
        // A business, since its webhooks carry order events.
        Shape::Reference => {
            return contacts
                .iter()
                .position(|c| c.company.is_some())
                .unwrap_or(0);
        }
        _ => rng.usize(..contacts.len()),
    };
    if shape != Shape::Spam {
        return start;
    }
    (0..contacts.len())
        .map(|offset| (start + offset) % contacts.len())
        .find(|&i| contacts[i].company.is_none())
        .unwrap_or(start)
}

/// Who speaks a scripted line.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Who {
    User,
    Op,
}

/// One scripted step of an exchange.
enum Step {
    /// A text message; one of the variants is picked.
    Say(Who, &'static [&'static str]),
    /// An attachment: sender, file name template, MIME type.
    File(Who, &'static str, &'static str),
}

impl Step {
    fn who(&self) -> Who {
        match self {
            Step::Say(who, _) | Step::File(who, _, _) => *who,
        }
    }
}

const fn user(variants: &'static [&'static str]) -> Step {
    Step::Say(Who::User, variants)
}

const fn op(variants: &'static [&'static str]) -> Step {
    Step::Say(Who::Op, variants)
}

const fn user_file(name: &'static str, mime: &'static str) -> Step {
    Step::File(Who::User, name, mime)
}

const fn op_file(name: &'static str, mime: &'static str) -> Step {
    Step::File(Who::Op, name, mime)
}

/// A message before it gets a timestamp and a fingerprint.
struct Draft {
    who: Who,
    body: Body,
    /// Index into `OPERATORS` of the author (operator messages).
    author: usize,
    /// Sent after hours of silence (a nudge, the next day of an incident).
    late: bool,
}

enum Body {
    Text(String),
    Note {
        text: String,
        mentions: Vec<&'static str>,
    },
    File {
        name: String,
        mime: &'static str,
        url: String,
    },
    Animation {
        url: String,
    },
    Picker {
        selected: Category,
    },
}

impl Body {
    fn kind(&self) -> &'static str {
        match self {
            Body::Text(_) => "text",
            Body::Note { .. } => "note",
            Body::File { .. } => "file",
            Body::Animation { .. } => "animation",
            Body::Picker { .. } => "picker",
        }
    }

    /// The inbox preview of this message.
    fn excerpt(&self) -> String {
        match self {
            Body::Text(text) | Body::Note { text, .. } => excerpt(text),
            Body::File { name, .. } => format!("[file] {name}"),
            Body::Animation { .. } => "[animation]".to_owned(),
            Body::Picker { .. } => PICKER_TEXT.to_owned(),
        }
    }
}

/// One generated conversation with its messages.
struct Thread {
    session_id: String,
    conversation: Value,
    messages: Vec<Value>,
    contact: usize,
    created_at: i64,
    updated_at: i64,
    visitor_last: i64,
    active_now: bool,
}

/// Everything the builders of one thread share.
struct Ctx<'a> {
    rng: Rng,
    details: Details<'a>,
    shape: Shape,
    state: ConvState,
    email: bool,
    author: usize,
    peer: usize,
}

fn build_conversation(index: usize, contacts: &[Contact]) -> Thread {
    let mut rng = sub_rng(CONVERSATION_SALT, index);
    let shape = shape_of(index);
    let state = pick_state(shape, &mut rng);
    let contact_index = pick_contact(shape, contacts, &mut rng);
    let contact = &contacts[contact_index];
    let email = shape != Shape::Reference && chance(&mut rng, 22);
    let assigned = pick_assignee(shape, state, &mut rng);
    let author = assigned.unwrap_or_else(|| pick_operator(&mut rng));
    let peer = (author + 1 + rng.usize(..OPERATORS.len() - 1)) % OPERATORS.len();
    let end = pick_end(shape, state, &mut rng);
    let device = pick(&mut rng, DEVICES);
    let details = Details::new(rng.u64(..), contact, author, peer, end, device);
    let mut ctx = Ctx {
        rng,
        details,
        shape,
        state,
        email,
        author,
        peer,
    };
    let (topic, mut drafts) = match shape {
        Shape::Reference => (&REFERENCE_TOPIC, reference_thread(&mut ctx)),
        Shape::Spam => (&SPAM_TOPIC, spam_thread(&mut ctx)),
        Shape::Incident => incident_thread(&mut ctx),
        Shape::Regular => {
            let topic = pick(&mut ctx.rng, TOPICS);
            (topic, regular_thread(&mut ctx, topic))
        }
    };
    polish(&mut ctx, &mut drafts);
    let session_id = match shape {
        Shape::Reference => REFERENCE_SESSION_ID.to_owned(),
        _ => format!("session_{}", uuid(&mut ctx.rng)),
    };
    let timestamps = schedule(&drafts, &mut ctx, end);
    let meta = ThreadMeta {
        index,
        session_id,
        topic,
        assigned,
        contact_index,
        device,
    };
    assemble(&mut ctx, meta, &drafts, &timestamps)
}

/// Identity of a thread, passed to the final assembly.
struct ThreadMeta {
    index: usize,
    session_id: String,
    topic: &'static Topic,
    assigned: Option<usize>,
    contact_index: usize,
    device: &'static Device,
}

// --- Thread composition ---

fn render_steps(ctx: &mut Ctx, steps: &[Step]) -> Vec<Draft> {
    steps.iter().map(|step| render_step(ctx, step)).collect()
}

fn render_step(ctx: &mut Ctx, step: &Step) -> Draft {
    let body = match step {
        Step::Say(_, variants) => {
            let template = pick(&mut ctx.rng, variants);
            Body::Text(ctx.details.render(template))
        }
        Step::File(_, name, mime) => file_body(ctx, name, mime),
    };
    Draft {
        who: step.who(),
        body,
        author: ctx.author,
        late: false,
    }
}

fn file_body(ctx: &mut Ctx, name: &str, mime: &'static str) -> Body {
    let name = ctx.details.render(name);
    let url = format!(
        "https://storage.crisp.chat/users/upload/{}/{name}",
        hex32(&mut ctx.rng)
    );
    Body::File { name, mime, url }
}

fn text(ctx: &mut Ctx, who: Who, pool: &[&str]) -> Draft {
    let template = pick(&mut ctx.rng, pool);
    Draft {
        who,
        body: Body::Text(ctx.details.render(template)),
        author: ctx.author,
        late: false,
    }
}

/// The thread the API reference uses as its example: open, short, and waiting on us.
fn reference_thread(ctx: &mut Ctx) -> Vec<Draft> {
    let mut drafts = render_steps(ctx, REFERENCE_TOPIC.script);
    let note = ctx.details.render(REFERENCE_NOTE);
    // Written while checking the audit log, just before the reply that reports it.
    drafts.insert(
        3,
        Draft {
            who: Who::Op,
            body: Body::Note {
                text: note,
                mentions: Vec::new(),
            },
            author: ctx.author,
            late: false,
        },
    );
    drafts
}

fn spam_thread(ctx: &mut Ctx) -> Vec<Draft> {
    let mut drafts = render_steps(ctx, SPAM_TOPIC.script);
    push_note(ctx, &mut drafts, SPAM_TOPIC.notes);
    drafts
}

fn regular_thread(ctx: &mut Ctx, topic: &'static Topic) -> Vec<Draft> {
    let steps = cut_script(topic.script, ctx.state, &mut ctx.rng);
    let mut drafts = render_steps(ctx, steps);
    let complete = steps.len() == topic.script.len();
    match ctx.state {
        ConvState::Resolved => close_thread(ctx, &mut drafts),
        // Nobody chases a thread whose last word was "it works now".
        ConvState::Unresolved if !complete => nudge(ctx, &mut drafts),
        ConvState::Pending if topic.category.urgent() && chance(&mut ctx.rng, 40) => {
            drafts.push(text(ctx, Who::User, PENDING_FOLLOW_UPS));
        }
        _ => {}
    }
    add_notes(
        ctx,
        &mut drafts,
        NotePools::topic(topic.notes),
        24,
        &mut Vec::new(),
    );
    if ctx.state == ConvState::Pending && chance(&mut ctx.rng, 30) {
        // A triage note: what the topic notes say is only known after investigating.
        push_note(ctx, &mut drafts, GENERIC_NOTES);
    }
    if !ctx.email && chance(&mut ctx.rng, 13) {
        let picker = Draft {
            who: Who::Op,
            body: Body::Picker {
                selected: topic.category,
            },
            author: ctx.author,
            late: false,
        };
        drafts.insert(0, picker);
    }
    drafts
}

/// Operators greet the customer in their first reply, and both sides sign their emails.
fn polish(ctx: &mut Ctx, drafts: &mut [Draft]) {
    // The reference thread's first reply already greets the customer.
    if ctx.shape != Shape::Reference && chance(&mut ctx.rng, 80) {
        let greeting = pick(&mut ctx.rng, OP_GREETINGS);
        let greeting = ctx.details.render(greeting);
        let first_reply = drafts
            .iter_mut()
            .find(|d| d.who == Who::Op && matches!(d.body, Body::Text(_)));
        if let Some(Draft {
            body: Body::Text(text),
            ..
        }) = first_reply
        {
            text.insert_str(0, &greeting);
        }
    }
    if !ctx.email {
        return;
    }
    let user_signature = pick(&mut ctx.rng, EMAIL_USER_SIGNATURES);
    let user_signature = ctx.details.render(user_signature);
    let op_signature = ctx.details.render(EMAIL_OP_SIGNATURE);
    for draft in drafts.iter_mut() {
        if let Body::Text(text) = &mut draft.body {
            let signature = match draft.who {
                Who::User => &user_signature,
                Who::Op => &op_signature,
            };
            text.push_str("\n\n");
            text.push_str(signature);
        }
    }
}

/// The part of a script a conversation in `state` has reached.
fn cut_script<'a>(script: &'a [Step], state: ConvState, rng: &mut Rng) -> &'a [Step] {
    let first_reply = script
        .iter()
        .position(|s| s.who() == Who::Op)
        .unwrap_or(script.len());
    match state {
        ConvState::Pending => &script[..first_reply.max(1)],
        ConvState::Resolved => script,
        ConvState::Unresolved => {
            let low = (first_reply + 1).min(script.len());
            // Mostly the customer spoke last and waits for us; sometimes we wait for them.
            let waiting: Vec<usize> = (low..=script.len())
                .filter(|&end| end > 0 && script[end - 1].who() == Who::User)
                .collect();
            let end = if !waiting.is_empty() && chance(rng, 75) {
                *pick(rng, &waiting)
            } else {
                rng.usize(low..=script.len())
            };
            &script[..end]
        }
    }
}

/// Resolved threads end politely: thanks from the customer, a sign-off, sometimes a GIF.
fn close_thread(ctx: &mut Ctx, drafts: &mut Vec<Draft>) {
    let customer_spoke_last = drafts.last().is_some_and(|d| d.who == Who::User);
    if !customer_spoke_last {
        drafts.push(text(ctx, Who::User, USER_THANKS));
    }
    if customer_spoke_last || chance(&mut ctx.rng, 55) {
        drafts.push(text(ctx, Who::Op, OP_SIGNOFFS));
    }
    if !ctx.email && chance(&mut ctx.rng, 20) {
        drafts.push(animation(ctx));
    }
}

fn animation(ctx: &mut Ctx) -> Draft {
    let name = pick(&mut ctx.rng, ANIMATIONS);
    let url = format!(
        "https://storage.crisp.chat/users/animation/{}/{name}.gif",
        hex32(&mut ctx.rng)
    );
    Draft {
        who: Who::Op,
        body: Body::Animation { url },
        author: ctx.author,
        late: false,
    }
}

/// A customer left waiting sometimes chases us hours later.
fn nudge(ctx: &mut Ctx, drafts: &mut Vec<Draft>) {
    let waiting = drafts.last().is_some_and(|d| d.who == Who::User);
    if waiting && chance(&mut ctx.rng, 30) {
        let mut draft = text(ctx, Who::User, USER_NUDGES);
        draft.late = true;
        drafts.push(draft);
    }
}

/// Where the notes of a thread come from.
#[derive(Clone, Copy)]
struct NotePools {
    /// Until the first reply: nothing has been investigated yet.
    early: &'static [&'static str],
    /// Afterwards, mixed with `early`.
    later: &'static [&'static str],
}

impl NotePools {
    fn topic(notes: &'static [&'static str]) -> Self {
        NotePools {
            early: GENERIC_NOTES,
            later: notes,
        }
    }

    fn only(notes: &'static [&'static str]) -> Self {
        NotePools {
            early: notes,
            later: notes,
        }
    }
}

/// Private notes, written just before some operator replies.
fn add_notes(
    ctx: &mut Ctx,
    drafts: &mut Vec<Draft>,
    pools: NotePools,
    percent: u8,
    used: &mut Vec<String>,
) {
    let mut replied = false;
    let mut out = Vec::with_capacity(drafts.len() + 4);
    for draft in drafts.drain(..) {
        let reply = draft.who == Who::Op && matches!(draft.body, Body::Text(_));
        if reply && chance(&mut ctx.rng, percent) {
            let later = replied && !pools.later.is_empty() && chance(&mut ctx.rng, 60);
            let pool = if later { pools.later } else { pools.early };
            if let Some(note) = fresh_note(ctx, pool, used) {
                out.push(note);
            }
        }
        replied |= reply;
        out.push(draft);
    }
    *drafts = out;
}

fn push_note(ctx: &mut Ctx, drafts: &mut Vec<Draft>, pool: &[&str]) {
    let mut used: Vec<String> = drafts
        .iter()
        .filter_map(|d| match &d.body {
            Body::Note { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect();
    if let Some(note) = fresh_note(ctx, pool, &mut used) {
        drafts.push(note);
    }
}

/// A note from `pool`, unless this thread already has the same one.
fn fresh_note(ctx: &mut Ctx, pool: &[&str], used: &mut Vec<String>) -> Option<Draft> {
    let template = pick(&mut ctx.rng, pool);
    let text = ctx.details.render(template);
    if used.contains(&text) {
        return None;
    }
    used.push(text.clone());
    let mentions = if template.contains("@{peer}") {
        vec![OPERATORS[ctx.peer].user_id]
    } else {
        Vec::new()
    };
    Some(Draft {
        who: Who::Op,
        body: Body::Note { text, mentions },
        author: ctx.author,
        late: false,
    })
}

/// A long incident thread: report, triage, diagnosis, mitigation, monitoring and, once
/// resolved, the wrap-up. Each phase contributes its share of a target length, so threads
/// range from about 45 to 120 messages, most of them in the lower half.
fn incident_thread(ctx: &mut Ctx) -> (&'static Topic, Vec<Draft>) {
    let incident = pick(&mut ctx.rng, INCIDENTS);
    ctx.details.symptom = incident.symptom;
    let mut drafts = render_steps(ctx, incident.opening);
    let available: usize = INCIDENT_PHASES.iter().map(|phase| steps_in(phase)).sum();
    let target = ctx
        .rng
        .usize(INCIDENT_MIN_STEPS..=available)
        .min(ctx.rng.usize(INCIDENT_MIN_STEPS..=available));
    // Notes follow the phase they are written in.
    let mut used = Vec::new();
    for (index, (phase, notes)) in INCIDENT_PHASES
        .into_iter()
        .zip(INCIDENT_PHASE_NOTES)
        .enumerate()
    {
        let quota = (steps_in(phase) * target).div_ceil(available);
        let mut segment = Vec::new();
        for unit in pick_units(phase, quota, &mut ctx.rng) {
            // Triage is immediate; later phases may resume hours later.
            let late = index > 0 && chance(&mut ctx.rng, 12);
            push_unit(ctx, &mut segment, unit, late);
        }
        add_notes(ctx, &mut segment, NotePools::only(notes), 22, &mut used);
        drafts.append(&mut segment);
    }
    if ctx.state == ConvState::Resolved {
        for unit in INCIDENT_WRAP_UP {
            let late = chance(&mut ctx.rng, 12);
            push_unit(ctx, &mut drafts, unit, late);
        }
        if chance(&mut ctx.rng, 40) {
            drafts.push(animation(ctx));
        }
    } else {
        let mut still = text(ctx, Who::User, INCIDENT_STILL_OPEN);
        still.late = true;
        drafts.push(still);
    }
    (&incident.topic, drafts)
}

/// Scripted steps picked from the phases at least: with the opening and the ending, an
/// incident thread always has 45 messages or more.
const INCIDENT_MIN_STEPS: usize = 42;

fn steps_in(units: &[&[Step]]) -> usize {
    units.iter().map(|unit| unit.len()).sum()
}

/// Random units of a phase adding up to at least `quota` steps, in authored order so the
/// story moves forward.
fn pick_units<'a>(phase: &[&'a [Step]], quota: usize, rng: &mut Rng) -> Vec<&'a [Step]> {
    let mut order: Vec<usize> = (0..phase.len()).collect();
    rng.shuffle(&mut order);
    let (mut chosen, mut steps) = (Vec::new(), 0);
    for unit in order {
        if steps >= quota {
            break;
        }
        steps += phase[unit].len();
        chosen.push(unit);
    }
    chosen.sort_unstable();
    chosen.into_iter().map(|unit| phase[unit]).collect()
}

fn push_unit(ctx: &mut Ctx, drafts: &mut Vec<Draft>, unit: &[Step], late: bool) {
    let start = drafts.len();
    drafts.extend(render_steps(ctx, unit));
    if let Some(first) = drafts.get_mut(start) {
        first.late = late;
    }
}

// --- Timing ---

/// Timestamps for the drafts, the last one landing at `end`.
fn schedule(drafts: &[Draft], ctx: &mut Ctx, end: i64) -> Vec<i64> {
    let mut offsets = Vec::with_capacity(drafts.len());
    let mut elapsed = 0;
    for (i, draft) in drafts.iter().enumerate() {
        if let Some(previous) = i.checked_sub(1).map(|p| &drafts[p]) {
            elapsed += gap(previous, draft, ctx.email, &mut ctx.rng);
        }
        offsets.push(elapsed);
    }
    let start = end - elapsed;
    offsets.into_iter().map(|offset| start + offset).collect()
}

/// How long after `previous` a message is sent: seconds in a live chat, hours over email.
fn gap(previous: &Draft, draft: &Draft, email: bool, rng: &mut Rng) -> i64 {
    let range = match (&previous.body, &draft.body) {
        _ if draft.late => 3 * HOUR..20 * HOUR,
        (_, Body::Note { .. }) => 20 * SECOND..4 * MINUTE,
        (Body::Picker { .. }, _) => 5 * SECOND..40 * SECOND,
        (Body::Note { .. }, _) => 40 * SECOND..3 * MINUTE,
        _ if previous.who == draft.who && email => 5 * MINUTE..40 * MINUTE,
        _ if previous.who == draft.who => 10 * SECOND..150 * SECOND,
        _ if email && draft.who == Who::Op => 40 * MINUTE..9 * HOUR,
        _ if email => HOUR..18 * HOUR,
        _ if draft.who == Who::Op => 45 * SECOND..12 * MINUTE,
        _ => 30 * SECOND..15 * MINUTE,
    };
    rng.i64(range)
}

// --- Assembly into §4.1 / §4.2 objects ---

/// Who has read what: trailing customer messages the operators have not opened yet, and
/// trailing replies the visitor has not seen.
struct Unread {
    operator: usize,
    visitor: usize,
}

fn unread_counts(ctx: &mut Ctx, drafts: &[Draft], active_now: bool) -> Unread {
    // Any operator activity (a reply or a note) means the operators saw the customer's messages.
    let operator = match ctx.state {
        ConvState::Resolved => 0,
        _ if chance(&mut ctx.rng, 20) => 0,
        _ => drafts
            .iter()
            .rev()
            .take_while(|d| d.who == Who::User)
            .count(),
    };
    let replies = drafts
        .iter()
        .rev()
        .filter(|d| !matches!(d.body, Body::Note { .. }))
        .take_while(|d| d.who == Who::Op)
        .count();
    let visitor = match ctx.state {
        _ if active_now => 0,
        ConvState::Resolved if chance(&mut ctx.rng, 70) => 0,
        _ => replies,
    };
    Unread { operator, visitor }
}

/// Per message: was it read by its recipient? Notes are never shown to the visitor.
fn read_flags(drafts: &[Draft], unread: &Unread) -> Vec<bool> {
    let (mut by_operator, mut by_visitor) = (unread.operator, unread.visitor);
    let mut flags: Vec<bool> = drafts
        .iter()
        .rev()
        .map(|draft| match (&draft.body, draft.who) {
            (Body::Note { .. }, _) => false,
            (_, Who::User) if by_operator > 0 => {
                by_operator -= 1;
                false
            }
            (_, Who::Op) if by_visitor > 0 => {
                by_visitor -= 1;
                false
            }
            _ => true,
        })
        .collect();
    flags.reverse();
    flags
}

fn assemble(ctx: &mut Ctx, meta: ThreadMeta, drafts: &[Draft], timestamps: &[i64]) -> Thread {
    let first_ts = timestamps.first().copied().unwrap_or(DEMO_NOW_MS - HOUR);
    let last_ts = timestamps.last().copied().unwrap_or(first_ts);
    let last_user_ts = drafts
        .iter()
        .zip(timestamps)
        .rev()
        .find(|(d, _)| d.who == Who::User)
        .map_or(first_ts, |(_, ts)| *ts);
    let active_now =
        ctx.state != ConvState::Resolved && !ctx.email && DEMO_NOW_MS - last_user_ts < 15 * MINUTE;
    let visitor_last = (last_user_ts + ctx.rng.i64(0..5 * MINUTE)).min(DEMO_NOW_MS - SECOND);
    let unread = unread_counts(ctx, drafts, active_now);
    let messages = message_values(ctx, &meta, drafts, timestamps, &unread);
    let created_at = first_ts - ctx.rng.i64(SECOND..4 * SECOND);
    let updated_at = match ctx.state {
        ConvState::Resolved => last_ts + ctx.rng.i64(20 * SECOND..15 * MINUTE),
        _ => last_ts,
    };
    let times = Times {
        created_at,
        updated_at,
        visitor_last,
        active_now,
        waiting_since: waiting_since(drafts, timestamps, last_user_ts),
    };
    let conversation = conversation_value(ctx, &meta, drafts, &messages, &unread, &times);
    Thread {
        session_id: meta.session_id,
        conversation,
        messages,
        contact: meta.contact_index,
        created_at,
        updated_at,
        visitor_last,
        active_now,
    }
}

struct Times {
    created_at: i64,
    updated_at: i64,
    visitor_last: i64,
    active_now: bool,
    waiting_since: i64,
}

/// Since when the customer has been waiting: the start of their trailing run of messages.
fn waiting_since(drafts: &[Draft], timestamps: &[i64], last_user_ts: i64) -> i64 {
    let run = drafts
        .iter()
        .rev()
        .take_while(|d| d.who == Who::User)
        .count();
    match run {
        0 => last_user_ts,
        n => timestamps[timestamps.len() - n],
    }
}

fn message_values(
    ctx: &mut Ctx,
    meta: &ThreadMeta,
    drafts: &[Draft],
    timestamps: &[i64],
    unread: &Unread,
) -> Vec<Value> {
    let base = FINGERPRINT_BASE + meta.index as i64 * FINGERPRINT_STRIDE;
    let flags = read_flags(drafts, unread);
    drafts
        .iter()
        .zip(timestamps)
        .zip(flags)
        .enumerate()
        .map(|(k, ((draft, &timestamp), read))| {
            // Distinct per message: slot k*5 plus a jitter below 5.
            let fingerprint = base + k as i64 * 5 + ctx.rng.i64(0..5);
            message_value(ctx, meta, draft, timestamp, fingerprint, read)
        })
        .collect()
}

fn message_value(
    ctx: &Ctx,
    meta: &ThreadMeta,
    draft: &Draft,
    timestamp: i64,
    fingerprint: i64,
    read: bool,
) -> Value {
    let contact = ctx.details.contact;
    let origin = match (&draft.body, ctx.email) {
        (Body::Text(_) | Body::File { .. }, true) => "email",
        _ => "chat",
    };
    let user = match (&draft.body, draft.who) {
        (Body::Picker { .. }, _) => json!({
            "type": "website",
            "user_id": DEMO_WEBSITE_ID,
            "nickname": "Northwind Cloud",
        }),
        (_, Who::Op) => {
            let operator = &OPERATORS[draft.author];
            json!({
                "type": "participant",
                "user_id": operator.user_id,
                "nickname": operator.nickname,
                "avatar": operator.avatar,
            })
        }
        (_, Who::User) => {
            let mut user = json!({
                "type": "participant",
                "user_id": meta.session_id,
                "nickname": contact.nickname,
            });
            if let Some(avatar) = &contact.avatar {
                user["avatar"] = json!(avatar);
            }
            user
        }
    };
    let mut message = json!({
        "session_id": meta.session_id,
        "website_id": DEMO_WEBSITE_ID,
        "type": draft.body.kind(),
        "from": if draft.who == Who::User { "user" } else { "operator" },
        "origin": origin,
        "content": content_value(&draft.body),
        "fingerprint": fingerprint,
        "timestamp": timestamp,
        "user": user,
        "read": if read { "chat" } else { "" },
        "delivered": "chat",
        "edited": false,
        "stamped": true,
    });
    match &draft.body {
        Body::Note { mentions, .. } if !mentions.is_empty() => {
            message["mentions"] = json!(mentions)
        }
        Body::Picker { .. } => message["automated"] = json!(true),
        _ => {}
    }
    message
}

fn content_value(body: &Body) -> Value {
    match body {
        Body::Text(text) | Body::Note { text, .. } => json!(text),
        Body::File { name, mime, url } => json!({"name": name, "url": url, "type": mime}),
        Body::Animation { url } => json!({"url": url, "type": "image/gif"}),
        Body::Picker { selected } => {
            let choices: Vec<Value> = Category::ALL
                .iter()
                .map(|c| json!({"value": c.segment(), "label": c.label(), "selected": c == selected}))
                .collect();
            json!({"id": "contact-reason", "text": PICKER_TEXT, "choices": choices})
        }
    }
}

fn conversation_value(
    ctx: &mut Ctx,
    meta: &ThreadMeta,
    drafts: &[Draft],
    messages: &[Value],
    unread: &Unread,
    times: &Times,
) -> Value {
    let contact = ctx.details.contact;
    let topic = meta.topic;
    let (last_message, preview) = previews(drafts, messages);
    let mut conversation = Map::with_capacity(24);
    let mut put = |key: &str, value: Value| {
        conversation.insert(key.to_owned(), value);
    };
    put("session_id", json!(meta.session_id));
    put("website_id", json!(DEMO_WEBSITE_ID));
    put("inbox_id", json!(DEMO_INBOXES[topic.category.inbox()].0));
    put("people_id", json!(contact.people_id));
    put("state", json!(ctx.state.name()));
    put("status", json!(ctx.state.status()));
    put(
        "is_verified",
        json!(contact.company.is_some() && chance(&mut ctx.rng, 75)),
    );
    put("is_blocked", json!(ctx.shape == Shape::Spam));
    let availability = if times.active_now {
        "online"
    } else {
        "offline"
    };
    put("availability", json!(availability));
    put(
        "active",
        json!({"now": times.active_now, "last": times.visitor_last}),
    );
    put("last_message", json!(last_message));
    put("preview_message", preview);
    put("topic", json!(topic.title));
    put("participants", participants(ctx));
    put("mentions", json!(note_mentions(drafts)));
    put(
        "unread",
        json!({"operator": unread.operator, "visitor": unread.visitor}),
    );
    if let Some(assigned) = meta.assigned {
        put("assigned", json!({"user_id": OPERATORS[assigned].user_id}));
    }
    put("meta", conversation_meta(ctx, meta));
    put("created_at", json!(times.created_at));
    put("updated_at", json!(times.updated_at));
    if ctx.state != ConvState::Resolved {
        put("waiting_since", json!(times.waiting_since));
    }
    Value::Object(conversation)
}

/// `last_message` and `preview_message`. Notes are private, so both show the last message the
/// customer could see.
fn previews(drafts: &[Draft], messages: &[Value]) -> (String, Value) {
    let shown = drafts
        .iter()
        .zip(messages)
        .rev()
        .find(|(d, _)| !matches!(d.body, Body::Note { .. }))
        .or_else(|| drafts.iter().zip(messages).next_back());
    match shown {
        Some((draft, message)) => {
            let excerpt = draft.body.excerpt();
            let preview = json!({
                "type": message["type"],
                "from": message["from"],
                "excerpt": excerpt,
                "fingerprint": message["fingerprint"],
            });
            (excerpt, preview)
        }
        None => (String::new(), json!({})),
    }
}

/// Operators mentioned in the thread's notes, in order of first mention.
fn note_mentions(drafts: &[Draft]) -> Vec<&'static str> {
    let mut mentions: Vec<&'static str> = Vec::new();
    for draft in drafts {
        if let Body::Note { mentions: m, .. } = &draft.body {
            for id in m {
                if !mentions.contains(id) {
                    mentions.push(id);
                }
            }
        }
    }
    mentions
}

/// Email threads sometimes CC a shared mailbox of the customer.
fn participants(ctx: &mut Ctx) -> Value {
    if ctx.email && chance(&mut ctx.rng, 30) {
        let mailbox = pick(&mut ctx.rng, CC_MAILBOXES);
        let target = format!("{mailbox}@{}", ctx.details.contact.site);
        json!([{"type": "email", "target": target}])
    } else {
        json!([])
    }
}

fn conversation_meta(ctx: &mut Ctx, meta: &ThreadMeta) -> Value {
    let contact = ctx.details.contact;
    let subject_template = pick(&mut ctx.rng, meta.topic.subjects);
    let subject = ctx.details.render(subject_template);
    let mut segments = vec![meta.topic.category.segment(), contact.plan.segment()];
    if contact.vip {
        segments.push("vip");
    }
    let mut out = Map::new();
    out.insert("nickname".into(), json!(contact.nickname));
    out.insert("email".into(), json!(contact.email));
    if let Some(phone) = &contact.phone {
        out.insert("phone".into(), json!(phone));
    }
    out.insert("subject".into(), json!(subject));
    out.insert("ip".into(), json!(ip_address(&mut ctx.rng)));
    if let Some(avatar) = &contact.avatar {
        out.insert("avatar".into(), json!(avatar));
    }
    let origin = if ctx.email { "email" } else { "chat" };
    out.insert("origin".into(), json!(origin));
    out.insert("segments".into(), json!(segments));
    out.insert("data".into(), custom_data(ctx));
    out.insert("device".into(), device_value(contact, meta.device));
    Value::Object(out)
}

/// Addresses from the documentation ranges (RFC 5737 / RFC 3849), never a real host.
fn ip_address(rng: &mut Rng) -> String {
    if chance(rng, 10) {
        format!("2001:db8:{:x}::{:x}", rng.u16(..), rng.u16(1..))
    } else {
        let net = pick(rng, &["192.0.2", "198.51.100", "203.0.113"]);
        format!("{net}.{}", rng.u8(1..255))
    }
}

fn custom_data(ctx: &mut Ctx) -> Value {
    let contact = ctx.details.contact;
    let seats = contact.seats;
    let mut account = Rng::with_seed(contact.seed ^ 0xacc0);
    json!({
        "plan": contact.plan.segment(),
        "seats": seats,
        "account_id": format!("acc_{:010x}", account.u64(..1 << 40)),
        "mrr": contact.plan.seat_price() * i64::from(seats),
        "signup": iso_date(contact.signup),
    })
}

fn device_value(contact: &Contact, device: &Device) -> Value {
    json!({
        "geolocation": geolocation(contact.place),
        "system": {
            "os": {"name": device.os, "version": device.os_version},
            "browser": {
                "name": device.browser,
                "version": device.browser_version,
                "major": device.browser_major,
            },
        },
        "timezone": contact.place.tz,
        "locales": contact.culture.locales,
    })
}

// ---------------------------------------------------------------------------------------------
// Placeholder details

/// The variable details of one thread, filled into `{placeholders}` of the scripts.
/// Most values derive from `seed` and the key, so a value repeats consistently within a
/// thread; `{req}` and `{errors}` come from `rng` and differ on every use.
struct Details<'a> {
    seed: u64,
    rng: Rng,
    contact: &'a Contact,
    op: usize,
    peer: usize,
    /// The end of the thread; dates in the text are before it.
    anchor: i64,
    device: &'static Device,
    symptom: &'static str,
}

impl<'a> Details<'a> {
    fn new(
        seed: u64,
        contact: &'a Contact,
        op: usize,
        peer: usize,
        anchor: i64,
        device: &'static Device,
    ) -> Self {
        Details {
            seed,
            rng: Rng::with_seed(seed ^ 0x5eed),
            contact,
            op,
            peer,
            anchor,
            device,
            symptom: "errors",
        }
    }

    /// A stream fixed by the thread and the placeholder, so `{invoice}` is the same everywhere.
    fn keyed(&self, key: &str) -> Rng {
        let salt = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        Rng::with_seed(self.seed ^ salt)
    }

    fn monthly_cents(&self) -> i64 {
        self.contact.plan.seat_price() * i64::from(self.contact.seats) * 100
    }

    fn render(&mut self, template: &str) -> String {
        let mut out = String::with_capacity(template.len() + 32);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                out.push_str(&rest[open..]);
                return out;
            };
            let key = &after[..close];
            match self.lookup(key) {
                Some(value) => out.push_str(&value),
                None => out.push_str(&rest[open..open + close + 2]),
            }
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        out
    }

    fn lookup(&mut self, key: &str) -> Option<String> {
        let contact = self.contact;
        let currency = contact.place.currency;
        let mut keyed = self.keyed(key);
        let value = match key {
            "first" => contact.first.to_owned(),
            "name" => contact.nickname.clone(),
            "email" => contact.email.clone(),
            "workspace" => contact.workspace.clone(),
            "slug" => ascii_slug(&contact.workspace),
            "site" => contact.site.clone(),
            "op" => OPERATORS[self.op].first.to_owned(),
            "peer" => OPERATORS[self.peer].first.to_owned(),
            "plan" => contact.plan.name().to_owned(),
            "upgrade" => contact.plan.next().name().to_owned(),
            "seats" => contact.seats.to_string(),
            "amount" => money(self.monthly_cents(), currency),
            "annual" => money(self.monthly_cents() * 10, currency),
            "refund" => money(self.monthly_cents() * 9, currency),
            "credit" => money(self.monthly_cents() / 10, currency),
            "invoice" => format!(
                "NW-{}-{:05}",
                civil_date(self.anchor).0,
                keyed.u32(1_000..99_999)
            ),
            "quote" => format!(
                "Q-{}-{:04}",
                civil_date(self.anchor).0,
                keyed.u16(100..9_999)
            ),
            "last4" => format!("{:04}", keyed.u16(..10_000)),
            "date" => spoken_date(self.anchor - keyed.i64(2 * DAY..25 * DAY)),
            "since" => civil_date(contact.signup).0.to_string(),
            "vat" => format!(
                "{}{:09}",
                contact.place.country,
                keyed.u32(100_000_000..999_999_999)
            ),
            "address" => self.address(&mut keyed),
            "region" => self.region(&mut keyed).to_owned(),
            "req" => format!("req_{:016x}", self.rng.u64(..)),
            "errors" => self.rng.u16(40..2_400).to_string(),
            "limit" => contact.plan.rate_limit().to_string(),
            "rpm" => (contact.plan.rate_limit() * keyed.u32(13..30) / 10).to_string(),
            "version" => format!("4.{}.{}", 12 + self.seed % 8, self.seed % 3),
            "fixversion" => format!("4.{}.{}", 12 + self.seed % 8, self.seed % 3 + 1),
            "device" => pick_str(&mut keyed, IPHONES).to_owned(),
            "android" => pick_str(&mut keyed, ANDROIDS).to_owned(),
            "browser" => format!("{} {}", self.device.browser, self.device.browser_major),
            "os" => format!("{} {}", self.device.os, self.device.os_version),
            "idp" => pick_str(&mut keyed, IDENTITY_PROVIDERS).to_owned(),
            "count" => group_digits(keyed.i64(1_200..250_000)),
            "row" => keyed.u16(2..1_200).to_string(),
            "ticket" => format!("ENG-{}", keyed.u16(1_000..9_999)),
            "inc" => keyed.u16(1_000..9_999).to_string(),
            "minutes" => keyed.u8(10..55).to_string(),
            "img" => format!("{:04}", keyed.u16(..10_000)),
            "feature" => pick_str(&mut keyed, FEATURES).to_owned(),
            "symptom" => self.symptom.to_owned(),
            _ => return None,
        };
        Some(value)
    }

    fn address(&self, rng: &mut Rng) -> String {
        let place = self.contact.company.map_or(self.contact.place, |c| &c.hq);
        format!(
            "{} {}, {} {}, {}",
            rng.u16(1..240),
            place.street,
            place.postcode,
            place.city,
            place.country_name
        )
    }

    fn region(&self, rng: &mut Rng) -> &'static str {
        let pair = match self.contact.region_segment() {
            "amer" => ["us-east-1", "us-west-2"],
            "apac" => ["ap-southeast-1", "ap-northeast-1"],
            _ => ["eu-west-1", "eu-central-1"],
        };
        pick_str(rng, &pair)
    }
}

// ---------------------------------------------------------------------------------------------
// Reference types for the data tables

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Currency {
    Usd,
    Eur,
    Gbp,
}

impl Currency {
    fn symbol(self) -> &'static str {
        match self {
            Currency::Usd => "$",
            Currency::Eur => "€",
            Currency::Gbp => "£",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Plan {
    Starter,
    Pro,
    Business,
    Enterprise,
}

impl Plan {
    fn name(self) -> &'static str {
        match self {
            Plan::Starter => "Starter",
            Plan::Pro => "Pro",
            Plan::Business => "Business",
            Plan::Enterprise => "Enterprise",
        }
    }

    fn segment(self) -> &'static str {
        match self {
            Plan::Starter => "starter",
            Plan::Pro => "pro",
            Plan::Business => "business",
            Plan::Enterprise => "enterprise",
        }
    }

    fn next(self) -> Plan {
        match self {
            Plan::Starter => Plan::Pro,
            Plan::Pro => Plan::Business,
            Plan::Business | Plan::Enterprise => Plan::Enterprise,
        }
    }

    /// Monthly price per seat, in currency units.
    fn seat_price(self) -> i64 {
        match self {
            Plan::Starter => 19,
            Plan::Pro => 39,
            Plan::Business => 79,
            Plan::Enterprise => 129,
        }
    }

    /// API requests per minute per token.
    fn rate_limit(self) -> u32 {
        match self {
            Plan::Starter => 120,
            Plan::Pro => 600,
            Plan::Business => 2_400,
            Plan::Enterprise => 10_000,
        }
    }
}

/// What a conversation is about, as offered by the chatbox picker; it also picks the inbox.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Category {
    Billing,
    Technical,
    Account,
    Sales,
    Feedback,
}

impl Category {
    const ALL: [Category; 5] = [
        Category::Billing,
        Category::Technical,
        Category::Account,
        Category::Sales,
        Category::Feedback,
    ];

    fn segment(self) -> &'static str {
        match self {
            Category::Billing => "billing",
            Category::Technical => "technical",
            Category::Account => "account",
            Category::Sales => "sales",
            Category::Feedback => "feedback",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Category::Billing => "Billing & invoices",
            Category::Technical => "Technical issue",
            Category::Account => "Account & login",
            Category::Sales => "Plans & pricing",
            Category::Feedback => "Feedback & ideas",
        }
    }

    /// Whether a customer waiting for an answer would chase it.
    fn urgent(self) -> bool {
        matches!(
            self,
            Category::Billing | Category::Technical | Category::Account
        )
    }

    /// Index into `DEMO_INBOXES`.
    fn inbox(self) -> usize {
        match self {
            Category::Technical | Category::Account | Category::Feedback => 0,
            Category::Billing => 1,
            Category::Sales => 2,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum EmailStyle {
    FirstDotLast,
    First,
    InitialLast,
    FirstUnderscoreLast,
    /// A personal mailbox (gmail.com and the like).
    Personal,
}

struct Operator {
    user_id: &'static str,
    first: &'static str,
    last: &'static str,
    nickname: &'static str,
    email: &'static str,
    phone: &'static str,
    avatar: &'static str,
}

/// The website's operators as `GET website/{id}/operators/list` gives them (crisp-api.md §7.6):
/// Alex owns the workspace; availability and titles are fixed so listings never change.
pub fn website_operators() -> Vec<Value> {
    const AVAILABILITY: [&str; 5] = ["online", "online", "away", "offline", "online"];
    const TITLES: [&str; 5] = [
        "Head of Support",
        "Support Engineer",
        "Billing Specialist",
        "Support Engineer",
        "Solutions Engineer",
    ];
    OPERATORS
        .iter()
        .enumerate()
        .map(|(i, op)| {
            json!({
                "type": "operator",
                "details": {
                    "user_id": op.user_id,
                    "email": op.email,
                    "avatar": op.avatar,
                    "first_name": op.first,
                    "last_name": op.last,
                    "role": if i == 0 { "owner" } else { "member" },
                    "title": TITLES[i % TITLES.len()],
                    "availability": AVAILABILITY[i % AVAILABILITY.len()],
                    "has_token": false,
                },
            })
        })
        .collect()
}

fn operator_excerpt(operator: &Operator) -> Value {
    json!({
        "user_id": operator.user_id,
        "nickname": operator.nickname,
        "avatar": operator.avatar,
    })
}

/// A city. `tz` follows the chatbox convention (JavaScript `getTimezoneOffset`): minutes
/// behind UTC, so Paris is -60 and New York 300.
struct Place {
    city: &'static str,
    region: &'static str,
    country: &'static str,
    country_name: &'static str,
    tz: i32,
    lat: f64,
    lon: f64,
    dial: &'static str,
    street: &'static str,
    postcode: &'static str,
    currency: Currency,
}

/// Names that go together, and where people with them live.
struct Culture {
    female: &'static [&'static str],
    male: &'static [&'static str],
    last: &'static [&'static str],
    places: &'static [Place],
    locales: &'static [&'static str],
}

struct Company {
    name: &'static str,
    legal_name: &'static str,
    domain: &'static str,
    about: &'static str,
    hq: Place,
    phone: &'static str,
    employees: u32,
    market_cap: u64,
    raised: u64,
    arr: u64,
    tags: &'static [&'static str],
    style: EmailStyle,
    plan: Plan,
}

struct Title {
    name: &'static str,
    role: &'static str,
    seniority: &'static str,
}

/// A visitor's browser and system, as the chatbox reports them.
struct Device {
    os: &'static str,
    os_version: &'static str,
    browser: &'static str,
    browser_version: &'static str,
    browser_major: &'static str,
}

/// A support topic: a scripted exchange plus what the inbox shows about it.
struct Topic {
    /// The conversation `topic`.
    title: &'static str,
    category: Category,
    /// Candidates for `meta.subject`.
    subjects: &'static [&'static str],
    script: &'static [Step],
    /// Private notes operators write on such threads.
    notes: &'static [&'static str],
}

/// A long incident thread: its opening and symptom; the middle comes from shared phases.
struct Incident {
    topic: Topic,
    symptom: &'static str,
    opening: &'static [Step],
}

// ---------------------------------------------------------------------------------------------
// Data: operators, places, names, companies

const OPERATORS: &[Operator] = &[
    Operator {
        user_id: "3f9a2c71-8b4e-4d25-a6c3-1e7b9d0f5a42",
        first: "Alex",
        last: "Morgan",
        nickname: "Alex Morgan",
        email: "alex.morgan@northwind.cloud",
        phone: "+1 415 555 0142",
        avatar: "https://storage.crisp.chat/users/avatar/operator/3f9a2c718b4e4d25/alex-morgan.jpg",
    },
    Operator {
        user_id: "b6e1d8f3-2a7c-4e91-8d5b-6c0f4a3e2b17",
        first: "Priya",
        last: "Raman",
        nickname: "Priya Raman",
        email: "priya.raman@northwind.cloud",
        phone: "+44 20 7946 0381",
        avatar: "https://storage.crisp.chat/users/avatar/operator/b6e1d8f32a7c4e91/priya-raman.jpg",
    },
    Operator {
        user_id: "e4c72a19-5d3b-4f86-b1e0-7a9c2d6f8e35",
        first: "Tomás",
        last: "Ferreira",
        nickname: "Tomás Ferreira",
        email: "tomas.ferreira@northwind.cloud",
        phone: "+351 21 555 0178",
        avatar:
            "https://storage.crisp.chat/users/avatar/operator/e4c72a195d3b4f86/tomas-ferreira.jpg",
    },
    Operator {
        user_id: "71d5b3e8-9c2a-4b64-a0f7-3e8d1c5b9a26",
        first: "Mei Lin",
        last: "Chen",
        nickname: "Mei Lin Chen",
        email: "meilin.chen@northwind.cloud",
        phone: "+65 6555 0193",
        avatar:
            "https://storage.crisp.chat/users/avatar/operator/71d5b3e89c2a4b64/mei-lin-chen.jpg",
    },
    Operator {
        user_id: "c8a4f0d2-6e1b-4c73-9f58-2d7e0b4a6c91",
        first: "Jonas",
        last: "Berg",
        nickname: "Jonas Berg",
        email: "jonas.berg@northwind.cloud",
        phone: "+46 8 555 012 77",
        avatar: "https://storage.crisp.chat/users/avatar/operator/c8a4f0d26e1b4c73/jonas-berg.jpg",
    },
];

/// Cities where customers and companies are. Kept tabular, one city per line.
#[rustfmt::skip]
mod places {
    use super::Currency::{Eur, Gbp, Usd};
    use super::{Currency, Place};

    /// Shorthand for the place tables below.
    #[allow(clippy::too_many_arguments)]
    pub(super) const fn place(
        city: &'static str,
        region: &'static str,
        country: &'static str,
        country_name: &'static str,
        tz: i32,
        (lat, lon): (f64, f64),
        dial: &'static str,
        (street, postcode): (&'static str, &'static str),
        currency: Currency,
    ) -> Place {
        Place {
            city,
            region,
            country,
            country_name,
            tz,
            lat,
            lon,
            dial,
            street,
            postcode,
            currency,
        }
    }

    pub(super) const SAN_FRANCISCO: Place = place("San Francisco", "California", "US", "United States", 480, (37.7749, -122.4194), "+1", ("Market Street", "94103"), Usd);
    pub(super) const AUSTIN: Place = place("Austin", "Texas", "US", "United States", 360, (30.2672, -97.7431), "+1", ("Congress Avenue", "78701"), Usd);
    pub(super) const NEW_YORK: Place = place("New York", "New York", "US", "United States", 300, (40.7128, -74.0060), "+1", ("Broadway", "10012"), Usd);
    pub(super) const CHICAGO: Place = place("Chicago", "Illinois", "US", "United States", 360, (41.8781, -87.6298), "+1", ("West Madison Street", "60602"), Usd);
    pub(super) const SEATTLE: Place = place("Seattle", "Washington", "US", "United States", 480, (47.6062, -122.3321), "+1", ("Pine Street", "98101"), Usd);
    pub(super) const DENVER: Place = place("Denver", "Colorado", "US", "United States", 420, (39.7392, -104.9903), "+1", ("Larimer Street", "80202"), Usd);
    pub(super) const TORONTO: Place = place("Toronto", "Ontario", "CA", "Canada", 300, (43.6532, -79.3832), "+1", ("King Street West", "M5V 1M3"), Usd);
    pub(super) const MONTREAL: Place = place("Montréal", "Quebec", "CA", "Canada", 300, (45.5019, -73.5674), "+1", ("Rue Saint-Denis", "H2X 3K8"), Usd);
    pub(super) const LONDON: Place = place("London", "England", "GB", "United Kingdom", 0, (51.5074, -0.1278), "+44", ("Old Street", "EC1V 9HL"), Gbp);
    pub(super) const MANCHESTER: Place = place("Manchester", "England", "GB", "United Kingdom", 0, (53.4808, -2.2426), "+44", ("Deansgate", "M3 4LQ"), Gbp);
    pub(super) const EDINBURGH: Place = place("Edinburgh", "Scotland", "GB", "United Kingdom", 0, (55.9533, -3.1883), "+44", ("Leith Walk", "EH6 5DT"), Gbp);
    pub(super) const DUBLIN: Place = place("Dublin", "Leinster", "IE", "Ireland", 0, (53.3498, -6.2603), "+353", ("Grand Canal Street", "D02 X576"), Eur);
    pub(super) const MADRID: Place = place("Madrid", "Madrid", "ES", "Spain", -60, (40.4168, -3.7038), "+34", ("Calle de Alcalá", "28014"), Eur);
    pub(super) const BARCELONA: Place = place("Barcelona", "Catalonia", "ES", "Spain", -60, (41.3874, 2.1686), "+34", ("Carrer de Pallars", "08018"), Eur);
    pub(super) const VALENCIA: Place = place("Valencia", "Valencian Community", "ES", "Spain", -60, (39.4699, -0.3763), "+34", ("Carrer de Colón", "46004"), Eur);
    pub(super) const MEXICO_CITY: Place = place("Mexico City", "Mexico City", "MX", "Mexico", 360, (19.4326, -99.1332), "+52", ("Avenida Reforma", "06600"), Usd);
    pub(super) const BUENOS_AIRES: Place = place("Buenos Aires", "Buenos Aires", "AR", "Argentina", 180, (-34.6037, -58.3816), "+54", ("Avenida Corrientes", "C1043"), Usd);
    pub(super) const BOGOTA: Place = place("Bogotá", "Bogotá D.C.", "CO", "Colombia", 300, (4.7110, -74.0721), "+57", ("Carrera 7", "110231"), Usd);
    pub(super) const SANTIAGO: Place = place("Santiago", "Santiago Metropolitan", "CL", "Chile", 180, (-33.4489, -70.6693), "+56", ("Avenida Providencia", "7500000"), Usd);
    pub(super) const PARIS: Place = place("Paris", "Île-de-France", "FR", "France", -60, (48.8566, 2.3522), "+33", ("Rue de Rivoli", "75004"), Eur);
    pub(super) const LYON: Place = place("Lyon", "Auvergne-Rhône-Alpes", "FR", "France", -60, (45.7640, 4.8357), "+33", ("Rue de la République", "69002"), Eur);
    pub(super) const NANTES: Place = place("Nantes", "Pays de la Loire", "FR", "France", -60, (47.2184, -1.5536), "+33", ("Quai de la Fosse", "44000"), Eur);
    pub(super) const BORDEAUX: Place = place("Bordeaux", "Nouvelle-Aquitaine", "FR", "France", -60, (44.8378, -0.5792), "+33", ("Cours de l'Intendance", "33000"), Eur);
    pub(super) const BRUSSELS: Place = place("Brussels", "Brussels-Capital", "BE", "Belgium", -60, (50.8503, 4.3517), "+32", ("Rue Neuve", "1000"), Eur);
    pub(super) const BERLIN: Place = place("Berlin", "Berlin", "DE", "Germany", -60, (52.5200, 13.4050), "+49", ("Torstraße", "10119"), Eur);
    pub(super) const MUNICH: Place = place("Munich", "Bavaria", "DE", "Germany", -60, (48.1351, 11.5820), "+49", ("Leopoldstraße", "80802"), Eur);
    pub(super) const HAMBURG: Place = place("Hamburg", "Hamburg", "DE", "Germany", -60, (53.5511, 9.9937), "+49", ("Mönckebergstraße", "20095"), Eur);
    pub(super) const VIENNA: Place = place("Vienna", "Vienna", "AT", "Austria", -60, (48.2082, 16.3738), "+43", ("Mariahilfer Straße", "1070"), Eur);
    pub(super) const ZURICH: Place = place("Zürich", "Zürich", "CH", "Switzerland", -60, (47.3769, 8.5417), "+41", ("Langstrasse", "8004"), Eur);
    pub(super) const MILAN: Place = place("Milan", "Lombardy", "IT", "Italy", -60, (45.4642, 9.1900), "+39", ("Via Tortona", "20144"), Eur);
    pub(super) const ROME: Place = place("Rome", "Lazio", "IT", "Italy", -60, (41.9028, 12.4964), "+39", ("Via del Corso", "00186"), Eur);
    pub(super) const TURIN: Place = place("Turin", "Piedmont", "IT", "Italy", -60, (45.0703, 7.6869), "+39", ("Via Roma", "10121"), Eur);
    pub(super) const BOLOGNA: Place = place("Bologna", "Emilia-Romagna", "IT", "Italy", -60, (44.4949, 11.3426), "+39", ("Via dell'Indipendenza", "40121"), Eur);
    pub(super) const STOCKHOLM: Place = place("Stockholm", "Stockholm County", "SE", "Sweden", -60, (59.3293, 18.0686), "+46", ("Götgatan", "118 46"), Eur);
    pub(super) const OSLO: Place = place("Oslo", "Oslo", "NO", "Norway", -60, (59.9139, 10.7522), "+47", ("Karl Johans gate", "0154"), Eur);
    pub(super) const COPENHAGEN: Place = place("Copenhagen", "Capital Region", "DK", "Denmark", -60, (55.6761, 12.5683), "+45", ("Vesterbrogade", "1620"), Eur);
    pub(super) const HELSINKI: Place = place("Helsinki", "Uusimaa", "FI", "Finland", -120, (60.1699, 24.9384), "+358", ("Mannerheimintie", "00100"), Eur);
    pub(super) const WARSAW: Place = place("Warsaw", "Masovia", "PL", "Poland", -60, (52.2297, 21.0122), "+48", ("ulica Marszałkowska", "00-024"), Eur);
    pub(super) const KRAKOW: Place = place("Kraków", "Lesser Poland", "PL", "Poland", -60, (50.0647, 19.9450), "+48", ("ulica Floriańska", "31-019"), Eur);
    pub(super) const PRAGUE: Place = place("Prague", "Prague", "CZ", "Czechia", -60, (50.0755, 14.4378), "+420", ("Vinohradská", "120 00"), Eur);
    pub(super) const KYIV: Place = place("Kyiv", "Kyiv City", "UA", "Ukraine", -120, (50.4501, 30.5234), "+380", ("Khreshchatyk Street", "01001"), Eur);
    pub(super) const BENGALURU: Place = place("Bengaluru", "Karnataka", "IN", "India", -330, (12.9716, 77.5946), "+91", ("100 Feet Road, Indiranagar", "560038"), Usd);
    pub(super) const MUMBAI: Place = place("Mumbai", "Maharashtra", "IN", "India", -330, (19.0760, 72.8777), "+91", ("Linking Road", "400050"), Usd);
    pub(super) const PUNE: Place = place("Pune", "Maharashtra", "IN", "India", -330, (18.5204, 73.8567), "+91", ("FC Road", "411004"), Usd);
    pub(super) const HYDERABAD: Place = place("Hyderabad", "Telangana", "IN", "India", -330, (17.3850, 78.4867), "+91", ("Road No. 36, Jubilee Hills", "500033"), Usd);
    pub(super) const SHANGHAI: Place = place("Shanghai", "Shanghai", "CN", "China", -480, (31.2304, 121.4737), "+86", ("Huaihai Road", "200031"), Usd);
    pub(super) const SHENZHEN: Place = place("Shenzhen", "Guangdong", "CN", "China", -480, (22.5431, 114.0579), "+86", ("Shennan Boulevard", "518000"), Usd);
    pub(super) const SINGAPORE: Place = place("Singapore", "Singapore", "SG", "Singapore", -480, (1.3521, 103.8198), "+65", ("Robinson Road", "068898"), Usd);
    pub(super) const TAIPEI: Place = place("Taipei", "Taipei", "TW", "Taiwan", -480, (25.0330, 121.5654), "+886", ("Xinyi Road", "110"), Usd);
    pub(super) const TOKYO: Place = place("Tokyo", "Tokyo", "JP", "Japan", -540, (35.6762, 139.6503), "+81", ("Omotesando", "150-0001"), Usd);
    pub(super) const OSAKA: Place = place("Osaka", "Osaka", "JP", "Japan", -540, (34.6937, 135.5023), "+81", ("Midosuji", "541-0053"), Usd);
    pub(super) const FUKUOKA: Place = place("Fukuoka", "Fukuoka", "JP", "Japan", -540, (33.5904, 130.4017), "+81", ("Tenjin", "810-0001"), Usd);
    pub(super) const SEOUL: Place = place("Seoul", "Seoul", "KR", "South Korea", -540, (37.5665, 126.9780), "+82", ("Teheran-ro", "06236"), Usd);
    pub(super) const BUSAN: Place = place("Busan", "Busan", "KR", "South Korea", -540, (35.1796, 129.0756), "+82", ("Haeundae-ro", "48094"), Usd);
    pub(super) const LAGOS: Place = place("Lagos", "Lagos", "NG", "Nigeria", -60, (6.5244, 3.3792), "+234", ("Admiralty Way, Lekki", "106104"), Usd);
    pub(super) const ACCRA: Place = place("Accra", "Greater Accra", "GH", "Ghana", 0, (5.6037, -0.1870), "+233", ("Oxford Street, Osu", "GA-029"), Usd);
    pub(super) const NAIROBI: Place = place("Nairobi", "Nairobi County", "KE", "Kenya", -180, (-1.2921, 36.8219), "+254", ("Ngong Road", "00100"), Usd);
    pub(super) const CAPE_TOWN: Place = place("Cape Town", "Western Cape", "ZA", "South Africa", -120, (-33.9249, 18.4241), "+27", ("Bree Street", "8001"), Usd);
    pub(super) const SAO_PAULO: Place = place("São Paulo", "São Paulo", "BR", "Brazil", 180, (-23.5505, -46.6333), "+55", ("Avenida Paulista", "01310-100"), Usd);
    pub(super) const RIO: Place = place("Rio de Janeiro", "Rio de Janeiro", "BR", "Brazil", 180, (-22.9068, -43.1729), "+55", ("Rua Visconde de Pirajá", "22410-002"), Usd);
    pub(super) const BELO_HORIZONTE: Place = place("Belo Horizonte", "Minas Gerais", "BR", "Brazil", 180, (-19.9167, -43.9345), "+55", ("Avenida Afonso Pena", "30130-005"), Usd);
    pub(super) const LISBON: Place = place("Lisbon", "Lisbon", "PT", "Portugal", 0, (38.7223, -9.1393), "+351", ("Avenida da Liberdade", "1250-096"), Eur);
    pub(super) const PORTO: Place = place("Porto", "Porto", "PT", "Portugal", 0, (41.1579, -8.6291), "+351", ("Rua de Santa Catarina", "4000-447"), Eur);
    pub(super) const DUBAI: Place = place("Dubai", "Dubai", "AE", "United Arab Emirates", -240, (25.2048, 55.2708), "+971", ("Sheikh Zayed Road", "00000"), Usd);
    pub(super) const ISTANBUL: Place = place("Istanbul", "Istanbul", "TR", "Türkiye", -180, (41.0082, 28.9784), "+90", ("İstiklal Caddesi", "34433"), Eur);
    pub(super) const CAIRO: Place = place("Cairo", "Cairo Governorate", "EG", "Egypt", -120, (30.0444, 31.2357), "+20", ("26th of July Street, Zamalek", "11211"), Usd);
    pub(super) const AMMAN: Place = place("Amman", "Amman Governorate", "JO", "Jordan", -180, (31.9454, 35.9284), "+962", ("Rainbow Street", "11181"), Usd);
    pub(super) const HO_CHI_MINH: Place = place("Ho Chi Minh City", "Ho Chi Minh City", "VN", "Vietnam", -420, (10.8231, 106.6297), "+84", ("Nguyen Hue Boulevard", "700000"), Usd);
    pub(super) const HANOI: Place = place("Hanoi", "Hanoi", "VN", "Vietnam", -420, (21.0278, 105.8342), "+84", ("Trang Tien Street", "100000"), Usd);
    pub(super) const MANILA: Place = place("Manila", "Metro Manila", "PH", "Philippines", -480, (14.5995, 120.9842), "+63", ("Ayala Avenue, Makati", "1226"), Usd);
    pub(super) const CEBU: Place = place("Cebu City", "Central Visayas", "PH", "Philippines", -480, (10.3157, 123.8854), "+63", ("Osmeña Boulevard", "6000"), Usd);
    pub(super) const AMSTERDAM: Place = place("Amsterdam", "North Holland", "NL", "Netherlands", -60, (52.3676, 4.9041), "+31", ("Keizersgracht", "1015 CJ"), Eur);
    pub(super) const ROTTERDAM: Place = place("Rotterdam", "South Holland", "NL", "Netherlands", -60, (51.9244, 4.4777), "+31", ("Coolsingel", "3011 AD"), Eur);
    pub(super) const UTRECHT: Place = place("Utrecht", "Utrecht", "NL", "Netherlands", -60, (52.0907, 5.1214), "+31", ("Oudegracht", "3511 AP"), Eur);
    pub(super) const ANTWERP: Place = place("Antwerp", "Flanders", "BE", "Belgium", -60, (51.2194, 4.4025), "+32", ("Meir", "2000"), Eur);
    pub(super) const SYDNEY: Place = place("Sydney", "New South Wales", "AU", "Australia", -600, (-33.8688, 151.2093), "+61", ("George Street", "2000"), Usd);
    pub(super) const MELBOURNE: Place = place("Melbourne", "Victoria", "AU", "Australia", -600, (-37.8136, 144.9631), "+61", ("Collins Street", "3000"), Usd);
    pub(super) const AUCKLAND: Place = place("Auckland", "Auckland", "NZ", "New Zealand", -720, (-36.8485, 174.7633), "+64", ("Queen Street", "1010"), Usd);
    pub(super) const TEL_AVIV: Place = place("Tel Aviv", "Tel Aviv District", "IL", "Israel", -120, (32.0853, 34.7818), "+972", ("Rothschild Boulevard", "6688101"), Usd);
}

use places::*;

#[rustfmt::skip]
const CULTURES: &[Culture] = &[
    Culture {
        female: &["Emily", "Jessica", "Ashley", "Sarah", "Megan", "Rachel", "Lauren", "Hannah", "Olivia", "Madison"],
        male: &["Michael", "Tyler", "Brandon", "Justin", "Kevin", "Ryan", "Austin", "Nathan", "Ethan", "Caleb"],
        last: &["Johnson", "Carter", "Brooks", "Sullivan", "Bennett", "Hayes", "Foster", "Reed", "Coleman", "Parker", "Whitaker", "Donovan"],
        places: &[SAN_FRANCISCO, AUSTIN, NEW_YORK, CHICAGO, SEATTLE, DENVER, TORONTO],
        locales: &["en"],
    },
    Culture {
        female: &["Charlotte", "Amelia", "Chloe", "Niamh", "Aoife", "Imogen", "Freya", "Siobhan"],
        male: &["Oliver", "Harry", "George", "Callum", "Rhys", "Cian", "Alfie", "Declan"],
        last: &["Thompson", "Walsh", "Hughes", "Murphy", "O'Connor", "Davies", "Evans", "Fitzgerald", "Clarke", "MacLeod"],
        places: &[LONDON, MANCHESTER, EDINBURGH, DUBLIN],
        locales: &["en"],
    },
    Culture {
        female: &["María", "Lucía", "Carmen", "Valentina", "Camila", "Sofía", "Isabel", "Paula"],
        male: &["Alejandro", "Javier", "Diego", "Mateo", "Carlos", "Andrés", "Pablo", "Santiago"],
        last: &["González", "Rodríguez", "Fernández", "López", "Martínez", "Sánchez", "Ramírez", "Torres", "Navarro", "Herrera", "Castillo", "Vargas"],
        places: &[MADRID, BARCELONA, VALENCIA, MEXICO_CITY, BUENOS_AIRES, BOGOTA, SANTIAGO],
        locales: &["es", "en"],
    },
    Culture {
        female: &["Camille", "Léa", "Chloé", "Manon", "Inès", "Juliette", "Élodie", "Margaux"],
        male: &["Lucas", "Hugo", "Théo", "Antoine", "Julien", "Mathieu", "Baptiste", "Rémi"],
        last: &["Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Laurent", "Girard", "Rousseau", "Fontaine", "Chevalier", "Tremblay", "Gagnon"],
        places: &[PARIS, LYON, NANTES, BORDEAUX, MONTREAL, BRUSSELS],
        locales: &["fr", "en"],
    },
    Culture {
        female: &["Anna", "Lena", "Katharina", "Johanna", "Sophie", "Miriam", "Franziska", "Jana"],
        male: &["Lukas", "Jonas", "Felix", "Maximilian", "Tobias", "Florian", "Stefan", "Matthias"],
        last: &["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Krüger", "Wagner", "Zimmermann", "Huber", "Brunner"],
        places: &[BERLIN, MUNICH, HAMBURG, VIENNA, ZURICH],
        locales: &["de", "en"],
    },
    Culture {
        female: &["Giulia", "Francesca", "Chiara", "Alessia", "Martina", "Elena"],
        male: &["Marco", "Luca", "Matteo", "Davide", "Riccardo", "Giovanni"],
        last: &["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco"],
        places: &[MILAN, ROME, TURIN, BOLOGNA],
        locales: &["it", "en"],
    },
    Culture {
        female: &["Ingrid", "Astrid", "Freja", "Sanna", "Maja", "Linnea"],
        male: &["Erik", "Lars", "Mikael", "Oskar", "Henrik", "Søren"],
        last: &["Andersson", "Johansson", "Nilsson", "Lindqvist", "Hansen", "Nielsen", "Virtanen", "Korhonen", "Berg", "Dahl"],
        places: &[STOCKHOLM, OSLO, COPENHAGEN, HELSINKI],
        locales: &["sv", "en"],
    },
    Culture {
        female: &["Agnieszka", "Katarzyna", "Zofia", "Tereza", "Olena", "Marta"],
        male: &["Piotr", "Tomasz", "Jakub", "Łukasz", "Ondřej", "Andriy"],
        last: &["Nowak", "Wójcik", "Kaczmarek", "Mazur", "Krawczyk", "Shevchenko", "Bondarenko", "Kovalenko", "Pavlenko", "Sikora"],
        places: &[WARSAW, KRAKOW, PRAGUE, KYIV],
        locales: &["pl", "en"],
    },
    Culture {
        female: &["Ananya", "Kavya", "Neha", "Divya", "Meera", "Shreya", "Aditi", "Lakshmi"],
        male: &["Arjun", "Rohan", "Vikram", "Rahul", "Karthik", "Aditya", "Siddharth", "Nikhil"],
        last: &["Sharma", "Patel", "Iyer", "Reddy", "Nair", "Gupta", "Mehta", "Rao", "Kulkarni", "Banerjee", "Chatterjee", "Menon"],
        places: &[BENGALURU, MUMBAI, PUNE, HYDERABAD],
        locales: &["en", "hi"],
    },
    Culture {
        female: &["Mei", "Xiaoling", "Yuting", "Jing", "Hui", "Lan"],
        male: &["Wei", "Jun", "Hao", "Yang", "Zhiwei", "Kai"],
        last: &["Wang", "Li", "Zhang", "Liu", "Chen", "Huang", "Zhao", "Wu", "Lin", "Tan"],
        places: &[SHANGHAI, SHENZHEN, SINGAPORE, TAIPEI],
        locales: &["zh", "en"],
    },
    Culture {
        female: &["Yuki", "Haruka", "Aiko", "Sakura", "Mio", "Naomi"],
        male: &["Haruto", "Takeshi", "Kenji", "Daiki", "Ren", "Sota"],
        last: &["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi", "Kato"],
        places: &[TOKYO, OSAKA, FUKUOKA],
        locales: &["ja", "en"],
    },
    Culture {
        female: &["Ji-woo", "Seo-yeon", "Min-ji", "Ha-eun", "Soo-jin"],
        male: &["Min-jun", "Seo-jun", "Ji-ho", "Hyun-woo", "Dong-hyun"],
        last: &["Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Yoon", "Han"],
        places: &[SEOUL, BUSAN],
        locales: &["ko", "en"],
    },
    Culture {
        female: &["Chiamaka", "Ngozi", "Amara", "Adaeze", "Wanjiru", "Akosua", "Zanele", "Fatima"],
        male: &["Chinedu", "Oluwaseun", "Kwame", "Tunde", "Emeka", "Kofi", "Otieno", "Sipho"],
        last: &["Okafor", "Adeyemi", "Mensah", "Okonkwo", "Balogun", "Mwangi", "Ochieng", "Nkosi", "Boateng", "Eze"],
        places: &[LAGOS, ACCRA, NAIROBI, CAPE_TOWN],
        locales: &["en"],
    },
    Culture {
        female: &["Ana", "Beatriz", "Mariana", "Larissa", "Juliana", "Gabriela"],
        male: &["João", "Pedro", "Rafael", "Thiago", "Gustavo", "Bruno"],
        last: &["Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa", "Almeida", "Carvalho", "Ribeiro", "Ferreira"],
        places: &[SAO_PAULO, RIO, BELO_HORIZONTE, LISBON, PORTO],
        locales: &["pt", "en"],
    },
    Culture {
        female: &["Layla", "Yasmin", "Noor", "Zeynep", "Elif", "Mariam"],
        male: &["Omar", "Karim", "Youssef", "Emre", "Mehmet", "Tariq"],
        last: &["Haddad", "Khalil", "Mansour", "Nasser", "Yılmaz", "Demir", "Şahin", "Aydın", "Farouk", "Saleh"],
        places: &[DUBAI, ISTANBUL, CAIRO, AMMAN],
        locales: &["ar", "en"],
    },
    Culture {
        female: &["Linh", "Thao", "Huong", "Mai", "Trang"],
        male: &["Minh", "Tuan", "Duc", "Quang", "Hieu"],
        last: &["Nguyen", "Tran", "Pham", "Le", "Hoang", "Vu", "Dang"],
        places: &[HO_CHI_MINH, HANOI],
        locales: &["vi", "en"],
    },
    Culture {
        female: &["Angelica", "Kristine", "Patricia", "Joy", "Bea"],
        male: &["Joshua", "Paolo", "Miguel", "Rafael", "Jericho"],
        last: &["Reyes", "Cruz", "Bautista", "Dela Cruz", "Villanueva", "Mendoza", "Aquino", "Garcia"],
        places: &[MANILA, CEBU],
        locales: &["en", "tl"],
    },
    Culture {
        female: &["Sanne", "Femke", "Lotte", "Eva", "Anouk", "Fleur"],
        male: &["Daan", "Bram", "Sem", "Jeroen", "Thijs", "Ruben"],
        last: &["de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "de Boer"],
        places: &[AMSTERDAM, ROTTERDAM, UTRECHT, ANTWERP],
        locales: &["nl", "en"],
    },
    Culture {
        female: &["Isla", "Matilda", "Ruby", "Grace", "Ava", "Mia"],
        male: &["Jack", "Lachlan", "Cooper", "Riley", "Liam", "Nikau"],
        last: &["Mitchell", "Campbell", "Kelly", "Robinson", "Taylor", "Walker", "Ngata", "Harrison"],
        places: &[SYDNEY, MELBOURNE, AUCKLAND],
        locales: &["en"],
    },
    Culture {
        female: &["Noa", "Tamar", "Yael", "Shira", "Maya"],
        male: &["Itai", "Noam", "Eitan", "Yonatan", "Omer"],
        last: &["Cohen", "Levi", "Mizrahi", "Peretz", "Friedman", "Katz", "Ben-David", "Shapiro"],
        places: &[TEL_AVIV],
        locales: &["he", "en"],
    },
];

/// Shorthand for the company table below.
#[allow(clippy::too_many_arguments)]
const fn company(
    (name, legal_name, domain): (&'static str, &'static str, &'static str),
    about: &'static str,
    hq: Place,
    phone: &'static str,
    (employees, market_cap, raised, arr): (u32, u64, u64, u64),
    tags: &'static [&'static str],
    style: EmailStyle,
    plan: Plan,
) -> Company {
    Company {
        name,
        legal_name,
        domain,
        about,
        hq,
        phone,
        employees,
        market_cap,
        raised,
        arr,
        tags,
        style,
        plan,
    }
}

use EmailStyle::{First, FirstDotLast, FirstUnderscoreLast, InitialLast};
use Plan::{Business, Pro, Starter};

#[rustfmt::skip]
const COMPANIES: &[Company] = &[
    company(("Brightlane", "Brightlane Technologies Inc.", "brightlane.io"), "Route planning for last-mile delivery fleets.", SAN_FRANCISCO, "415 555 0110", (84, 0, 21_000_000, 6_400_000), &["logistics", "saas", "b2b"], FirstDotLast, Pro),
    company(("Kestrel Analytics", "Kestrel Analytics Ltd", "kestrel-analytics.com"), "Product analytics for mobile games.", LONDON, "20 7946 0112", (46, 0, 8_500_000, 2_900_000), &["analytics", "gaming"], First, Pro),
    company(("Tidewater Logistics", "Tidewater Logistics LLC", "tidewaterlogistics.com"), "Freight brokerage for the Gulf Coast.", AUSTIN, "512 555 0119", (320, 0, 0, 41_000_000), &["logistics", "freight"], InitialLast, Business),
    company(("Orchard & Pine", "Orchard & Pine SAS", "orchardpine.fr"), "Sustainable furniture sold online.", LYON, "4 72 55 01 21", (38, 0, 3_200_000, 5_100_000), &["ecommerce", "retail"], FirstDotLast, Starter),
    company(("Lumen Health", "Lumen Health GmbH", "lumenhealth.de"), "Telehealth scheduling for clinics.", BERLIN, "30 5550 1290", (132, 0, 34_000_000, 12_500_000), &["healthtech", "saas"], FirstDotLast, Business),
    company(("Quillmark", "Quillmark Software S.L.", "quillmark.es"), "Contract drafting for small law firms.", BARCELONA, "93 555 0133", (27, 0, 2_100_000, 1_400_000), &["legaltech", "saas"], First, Starter),
    company(("Harborview Labs", "Harborview Labs Pty Ltd", "harborviewlabs.com.au"), "Water-quality sensors for marinas and ports.", SYDNEY, "2 5550 1142", (58, 0, 11_000_000, 3_800_000), &["iot", "hardware"], FirstDotLast, Pro),
    company(("Nimbus Freight", "Nimbus Freight B.V.", "nimbusfreight.nl"), "Air cargo booking platform.", ROTTERDAM, "10 555 0150", (210, 0, 48_000_000, 22_000_000), &["logistics", "marketplace"], InitialLast, Business),
    company(("Copperleaf Finance", "Copperleaf Finance Ltd", "copperleaf.finance"), "Cash-flow forecasting for agencies.", DUBLIN, "1 555 0167", (64, 0, 15_000_000, 4_700_000), &["fintech", "saas"], FirstDotLast, Pro),
    company(("Sable Studio", "Sable Studio SRL", "sablestudio.it"), "Brand and packaging design agency.", MILAN, "02 5550 1178", (19, 0, 0, 2_200_000), &["agency", "design"], First, Starter),
    company(("Fjordline Digital", "Fjordline Digital AS", "fjordline.no"), "E-commerce agency for Nordic retailers.", OSLO, "22 55 01 89", (41, 0, 0, 6_900_000), &["agency", "ecommerce"], FirstDotLast, Pro),
    company(("Verdant Robotics", "Verdant Robotics Inc.", "verdantrobotics.com"), "Autonomous weeding robots for vegetable farms.", DENVER, "720 555 0194", (155, 0, 62_000_000, 9_300_000), &["agtech", "robotics"], FirstDotLast, Business),
    company(("Pelican Payments", "Pelican Payments Ltd", "pelicanpay.ng"), "Payment links for small merchants.", LAGOS, "1 555 0205", (97, 0, 18_000_000, 5_600_000), &["fintech", "payments"], FirstDotLast, Pro),
    company(("Atlas Mobility", "Atlas Mobility Pte. Ltd.", "atlasmobility.sg"), "Fleet software for e-scooter operators.", SINGAPORE, "6555 0216", (73, 0, 26_000_000, 7_200_000), &["mobility", "saas"], FirstDotLast, Business),
    company(("Juniper Learning", "Juniper Learning Inc.", "juniperlearning.org"), "After-school tutoring marketplace.", TORONTO, "416 555 0227", (112, 0, 14_000_000, 8_800_000), &["edtech", "marketplace"], First, Pro),
    company(("Marigold Foods", "Marigold Foods Pvt. Ltd.", "marigoldfoods.in"), "Regional packaged snacks brand.", PUNE, "20 5550 2381", (460, 0, 0, 31_000_000), &["fmcg", "retail"], FirstDotLast, Business),
    company(("Saffron Travel", "Saffron Travel FZ-LLC", "saffrontravel.ae"), "Corporate travel booking for the Gulf.", DUBAI, "4 555 0249", (88, 0, 9_000_000, 11_000_000), &["travel", "b2b"], FirstDotLast, Pro),
    company(("Redwood Legal", "Redwood Legal LLP", "redwoodlegal.com"), "Employment law practice.", CHICAGO, "312 555 0251", (64, 0, 0, 19_000_000), &["legal", "services"], InitialLast, Pro),
    company(("Beacon Retail", "Beacon Retail Ltd", "beaconretail.co.uk"), "Point-of-sale analytics for independent shops.", MANCHESTER, "161 555 0263", (52, 0, 6_000_000, 3_300_000), &["retail", "analytics"], FirstDotLast, Starter),
    company(("Cobalt Games", "Cobalt Games AB", "cobaltgames.se"), "Indie studio making cozy strategy games.", STOCKHOLM, "8 555 0274", (34, 0, 4_500_000, 2_600_000), &["gaming"], First, Pro),
    company(("Meridian Biotech", "Meridian Biotech AG", "meridianbio.ch"), "Lab automation software for biotech startups.", ZURICH, "44 555 02 85", (140, 0, 55_000_000, 8_100_000), &["biotech", "saas"], FirstDotLast, Business),
    company(("Northstar Realty", "Northstar Realty Group Inc.", "northstarrealty.com"), "Residential property management.", SEATTLE, "206 555 0296", (230, 0, 0, 27_000_000), &["real-estate"], FirstDotLast, Business),
    company(("Kite & Key", "Kite & Key Ltda.", "kiteandkey.com.br"), "Short-term rental management.", SAO_PAULO, "11 5550 3017", (76, 0, 7_500_000, 4_100_000), &["hospitality", "real-estate"], FirstDotLast, Pro),
    company(("Plover Insurance", "Plover Insurance S.A.", "plover.pt"), "Pet insurance sold online.", LISBON, "21 555 0318", (118, 0, 30_000_000, 13_000_000), &["insurtech"], FirstDotLast, Business),
    company(("Ember Energy", "Ember Energy Ltd", "emberenergy.co.uk"), "Home battery installation and monitoring.", EDINBURGH, "131 555 0329", (95, 0, 22_000_000, 10_400_000), &["energy", "cleantech"], FirstDotLast, Pro),
    company(("Solace Therapy", "Solace Therapy Inc.", "solacetherapy.com"), "Online therapy for teenagers.", NEW_YORK, "212 555 0330", (67, 0, 17_000_000, 6_000_000), &["healthtech"], First, Pro),
    company(("Granite Build", "Granite Build GmbH", "granitebuild.at"), "Construction project scheduling.", VIENNA, "1 555 03 41", (59, 0, 5_000_000, 3_700_000), &["construction", "saas"], FirstDotLast, Starter),
    company(("Helix Data", "Helix Data Sp. z o.o.", "helixdata.pl"), "Data engineering consultancy.", WARSAW, "22 555 03 52", (120, 0, 0, 9_600_000), &["consulting", "data"], FirstDotLast, Business),
    company(("Lattice HR", "Lattice HR Technologies Pvt. Ltd.", "latticehr.in"), "Payroll and attendance for SMBs.", BENGALURU, "80 5550 3631", (240, 0, 40_000_000, 15_000_000), &["hrtech", "saas"], FirstDotLast, Business),
    company(("Mosaic Media", "Mosaic Media Inc.", "mosaicmedia.co"), "Podcast production network.", AUSTIN, "512 555 0374", (29, 0, 1_500_000, 2_000_000), &["media"], First, Starter),
    company(("Ripple Events", "Ripple Events K.K.", "rippleevents.jp"), "Hybrid conference platform.", TOKYO, "3 5550 3855", (83, 0, 12_000_000, 5_200_000), &["events", "saas"], InitialLast, Pro),
    company(("Tandem Care", "Tandem Care Ltd", "tandemcare.co.nz"), "Home-care visit scheduling.", AUCKLAND, "9 555 0396", (48, 0, 3_900_000, 2_400_000), &["healthtech"], FirstDotLast, Starter),
    company(("Umber Coffee Roasters", "Umber Coffee Roasters LLC", "umbercoffee.com"), "Specialty coffee subscriptions.", SEATTLE, "206 555 0407", (36, 0, 0, 4_800_000), &["ecommerce", "food"], First, Starter),
    company(("Vantage Security", "Vantage Security Ltd", "vantagesec.io"), "Penetration testing and security audits.", TEL_AVIV, "3 555 0418", (61, 0, 9_500_000, 7_700_000), &["security", "services"], FirstDotLast, Business),
    company(("Wren Publishing", "Wren Publishing Ltd", "wrenpublishing.co.uk"), "Independent children's book publisher.", LONDON, "20 7946 0429", (24, 0, 0, 3_100_000), &["publishing"], FirstDotLast, Starter),
    company(("Yarrow Wellness", "Yarrow Wellness Inc.", "yarrowwellness.ca"), "Yoga studio booking software.", MONTREAL, "514 555 0430", (22, 0, 1_200_000, 900_000), &["wellness", "saas"], First, Starter),
    company(("Zephyr Drones", "Zephyr Drones Co., Ltd.", "zephyrdrones.kr"), "Inspection drones for wind farms.", SEOUL, "2 555 0441", (150, 0, 47_000_000, 11_900_000), &["hardware", "energy"], FirstDotLast, Business),
    company(("Pixelforge", "Pixelforge SAS", "pixelforge.fr"), "3D product configurators for retailers.", NANTES, "2 55 50 44 52", (44, 0, 6_800_000, 3_400_000), &["3d", "saas"], FirstDotLast, Pro),
    company(("Kilimo Fresh", "Kilimo Fresh Ltd", "kilimofresh.co.ke"), "Farm-to-restaurant produce delivery.", NAIROBI, "20 555 0463", (130, 0, 8_200_000, 3_600_000), &["agtech", "logistics"], FirstDotLast, Pro),
    company(("Alba Ceramics", "Alba Ceramics S.A. de C.V.", "albaceramics.mx"), "Handmade tiles sold to architects.", MEXICO_CITY, "55 5550 4741", (57, 0, 0, 2_700_000), &["manufacturing", "ecommerce"], FirstUnderscoreLast, Starter),
    company(("Lotus Robotics", "Lotus Robotics Co., Ltd.", "lotusrobotics.cn"), "Warehouse picking robots.", SHENZHEN, "755 5550 4852", (380, 0, 90_000_000, 24_000_000), &["robotics", "logistics"], FirstDotLast, Business),
    company(("Gridline Capital", "Gridline Capital plc", "gridlinecapital.com"), "Listed infrastructure investment fund.", LONDON, "20 7946 0493", (210, 1_800_000_000, 0, 0), &["finance", "public"], InitialLast, Business),
    company(("Dunebrook Outdoor", "Dunebrook Outdoor Inc.", "dunebrook.com"), "Outdoor gear retailer with 40 stores.", DENVER, "720 555 0504", (1_250, 640_000_000, 0, 0), &["retail", "public"], FirstDotLast, Business),
    company(("Tessellate", "Tessellate B.V.", "tessellate.nl"), "Floor-plan software for offices.", AMSTERDAM, "20 555 0515", (33, 0, 2_800_000, 1_900_000), &["proptech", "saas"], First, Pro),
];

#[rustfmt::skip]
const TITLES: &[Title] = &[
    Title { name: "CTO", role: "engineering", seniority: "executive" },
    Title { name: "CEO", role: "leadership", seniority: "executive" },
    Title { name: "Co-founder", role: "founder", seniority: "executive" },
    Title { name: "VP of Engineering", role: "engineering", seniority: "executive" },
    Title { name: "Head of Customer Success", role: "customer_service", seniority: "director" },
    Title { name: "Support Team Lead", role: "customer_service", seniority: "manager" },
    Title { name: "Customer Support Specialist", role: "customer_service", seniority: "junior" },
    Title { name: "Senior Software Engineer", role: "engineering", seniority: "senior" },
    Title { name: "Backend Developer", role: "engineering", seniority: "senior" },
    Title { name: "DevOps Engineer", role: "engineering", seniority: "senior" },
    Title { name: "IT Administrator", role: "information_technology", seniority: "manager" },
    Title { name: "Head of IT", role: "information_technology", seniority: "director" },
    Title { name: "Finance Manager", role: "finance", seniority: "manager" },
    Title { name: "Accounts Payable Specialist", role: "finance", seniority: "junior" },
    Title { name: "CFO", role: "finance", seniority: "executive" },
    Title { name: "Operations Manager", role: "operations", seniority: "manager" },
    Title { name: "Head of Operations", role: "operations", seniority: "director" },
    Title { name: "Product Manager", role: "product", seniority: "manager" },
    Title { name: "Product Designer", role: "design", seniority: "senior" },
    Title { name: "Marketing Manager", role: "marketing", seniority: "manager" },
    Title { name: "Growth Lead", role: "marketing", seniority: "manager" },
    Title { name: "Account Executive", role: "sales", seniority: "senior" },
    Title { name: "Office Manager", role: "operations", seniority: "junior" },
    Title { name: "Data Analyst", role: "research", seniority: "senior" },
];

#[rustfmt::skip]
const DEVICES: &[Device] = &[
    Device { os: "Mac OS", os_version: "10.15.7", browser: "Chrome", browser_version: "130.0.6723.92", browser_major: "130" },
    Device { os: "Mac OS", os_version: "10.15.7", browser: "Safari", browser_version: "18.1", browser_major: "18" },
    Device { os: "Mac OS", os_version: "10.15.7", browser: "Firefox", browser_version: "132.0", browser_major: "132" },
    Device { os: "Windows", os_version: "10", browser: "Chrome", browser_version: "130.0.6723.117", browser_major: "130" },
    Device { os: "Windows", os_version: "10", browser: "Edge", browser_version: "130.0.2849.68", browser_major: "130" },
    Device { os: "Windows", os_version: "10", browser: "Firefox", browser_version: "131.0.3", browser_major: "131" },
    Device { os: "Linux", os_version: "x86_64", browser: "Firefox", browser_version: "132.0", browser_major: "132" },
    Device { os: "Chrome OS", os_version: "14541.0.0", browser: "Chrome", browser_version: "129.0.6668.100", browser_major: "129" },
    Device { os: "iOS", os_version: "18.1", browser: "Mobile Safari", browser_version: "18.1", browser_major: "18" },
    Device { os: "Android", os_version: "14", browser: "Chrome", browser_version: "130.0.6723.102", browser_major: "130" },
];

const MAIL_PROVIDERS: &[&str] = &[
    "gmail.com",
    "outlook.com",
    "proton.me",
    "icloud.com",
    "yahoo.com",
    "fastmail.com",
];
const PLUS_TAGS: &[&str] = &["crisp", "support", "billing", "nw", "test"];
const FREELANCE_SUFFIXES: &[&str] = &["Consulting", "Studio", "Design", "Digital", "Coaching"];
const CC_MAILBOXES: &[&str] = &["finance", "billing", "it", "ops", "accounts"];
const IPHONES: &[&str] = &[
    "iPhone 15",
    "iPhone 14 Pro",
    "iPhone 13 mini",
    "iPhone 16 Pro Max",
    "iPhone SE",
];
const ANDROIDS: &[&str] = &[
    "Pixel 8",
    "Galaxy S24",
    "OnePlus 12",
    "Pixel 7a",
    "Galaxy A54",
];
const IDENTITY_PROVIDERS: &[&str] = &[
    "Okta",
    "Google Workspace",
    "OneLogin",
    "JumpCloud",
    "Microsoft Entra ID",
];
const FEATURES: &[&str] = &[
    "dark mode",
    "an audit log export",
    "PDF export of dashboards",
    "custom fields on deals",
    "a Linear integration",
    "saved filters shared with the team",
    "per-project API keys",
];
const ANIMATIONS: &[&str] = &[
    "thumbs-up",
    "high-five",
    "celebrate",
    "happy-dance",
    "you-rock",
];

const BIO_LINES: &[&str] = &[
    "Loves a tidy spreadsheet.",
    "Runs on coffee and checklists.",
    "Previously in consulting.",
    "Ex-support, still answers tickets on Fridays.",
    "Marathon runner, slow but steady.",
    "Building the team from scratch.",
    "Always testing new tools.",
];

const NOTEPADS: &[&str] = &[
    "Renewal in March — champion for expanding to the ops team.",
    "Prefers email over chat. Please keep replies short.",
    "Asked twice about SSO — loop in sales when they're ready.",
    "Met at SaaStr. Very friendly, gave great product feedback.",
    "Pays by bank transfer, invoices go to finance@ address.",
    "Beta tester for the new reports. Send release notes first.",
    "Had a rough onboarding in spring — follow up proactively.",
    "Decision maker for tooling, budget owner.",
];

// ---------------------------------------------------------------------------------------------
// Data: support topics and their scripted exchanges

const PICKER_TEXT: &str = "Hi there 👋 What can we help you with today?";

const OP_GREETINGS: &[&str] = &[
    "Hi {first}, thanks for reaching out! ",
    "Hello {first} 👋 ",
    "Hi {first}, {op} here. ",
    "Hey {first}! ",
    "Thanks for reaching out, {first}. ",
];

const USER_THANKS: &[&str] = &[
    "Thanks a lot, that solved it!",
    "Perfect, thank you {op}!",
    "Great, appreciate the quick help 🙏",
    "That's all I needed, thanks!",
    "Awesome, thanks for sorting this out so fast.",
    "Thank you! Have a nice day.",
    "Brilliant, cheers.",
];

const OP_SIGNOFFS: &[&str] = &[
    "You're welcome, {first}! I'll mark this as resolved — just reply here if anything else comes up.",
    "Happy to help! Have a great rest of your day.",
    "Anytime! Don't hesitate to reach out again.",
    "Glad we got it sorted 🙌 Take care!",
    "My pleasure. I'm closing this conversation, but replying will reopen it any time.",
];

const USER_NUDGES: &[&str] = &[
    "Any update on this?",
    "Hi again — just checking whether there's news on this.",
    "Sorry to chase, but this is blocking our team. Any news?",
    "Following up on my message above 🙂",
];

/// What customers add while nobody has answered yet.
const PENDING_FOLLOW_UPS: &[&str] = &[
    "Just making sure this reached the right team.",
    "Adding some context: this is quite urgent for us.",
    "I'm around for the rest of the day if you need more details.",
    "Our account email is {email}, in case you need it.",
    "Also, this started after yesterday's update, if that helps.",
];

const EMAIL_USER_SIGNATURES: &[&str] = &[
    "Best,\n{first}",
    "Thanks,\n{name}",
    "Cheers,\n{first}",
    "Kind regards,\n{name}\n{workspace}",
];
const EMAIL_OP_SIGNATURE: &str = "Best,\n{op}\nNorthwind Cloud Support";

const GENERIC_NOTES: &[&str] = &[
    "VIP — escalate to tier 2",
    "Customer since {since}, always very friendly.",
    "@{peer} can you double-check this before I reply?",
    "Checked the logs, nothing unusual on our side.",
    "Second time this month they ask about this.",
    "Waiting on engineering for confirmation.",
    "Possible upsell to {upgrade} — they're growing fast.",
    "Renewal coming up — handle with care.",
    "Account owner is {name}, so no need to verify further.",
    "@{peer} FYI, you handled their last ticket.",
    "Prefers email follow-ups over chat.",
    "Similar question last week from another workspace — worth an FAQ entry?",
    "Checked their plan and usage, everything within limits.",
    "They're evaluating a competitor, let's be extra helpful.",
    "Tagging for the monthly support review.",
    "Using the standard macro here, with a personal first paragraph.",
];

const REFERENCE_NOTE: &str =
    "Audit log: signing secret rotated today at 09:14 UTC by another admin of {workspace}. They're verifying with the old one.";

const REFERENCE_TOPIC: Topic = Topic {
    title: "Webhook signature errors",
    category: Category::Technical,
    subjects: &["Webhook deliveries failing: signature mismatch"],
    script: &[
        user(&["Hi! Since this morning our webhook endpoint rejects every delivery from you with 'signature mismatch'. We've already missed about 40 order events."]),
        op(&["Hi {first}, Alex here 👋 Sorry about that! Did anyone rotate the signing secret under Settings → Developers → Webhooks recently?"]),
        user(&["Not that I know of… but a colleague might have. Is there a way to see when it changed?"]),
        op(&["Found it: the signing secret was rotated today at 09:14 UTC by another admin of {workspace}. Once you update the secret on your endpoint, new deliveries will verify again, and I can replay the failed ones for you."]),
        user(&["Ok, the new secret is deployed. Yes please, replay everything we missed since this morning!"]),
    ],
    notes: &[],
};

const SPAM_TOPIC: Topic = Topic {
    title: "Spam",
    category: Category::Sales,
    subjects: &["Partnership opportunity", "Boost your Google ranking"],
    script: &[
        user(&[
            "Hello sir/madam, we offer top quality SEO services to rank {site} on the first page of Google in 7 days!!! Reply for our price list.",
            "Dear team, we can provide 10,000 verified B2B leads for your business at a very low price. Interested?",
        ]),
        user(&["Special discount only today!! Contact us on WhatsApp for details."]),
    ],
    notes: &["Spam — blocking this visitor.", "Same spam as last week from another address. Blocked."],
};

const TOPICS: &[Topic] = &[
    Topic {
        title: "Duplicate charge",
        category: Category::Billing,
        subjects: &["Charged twice for invoice {invoice}", "Duplicate payment this month"],
        script: &[
            user(&[
                "Hi, I just noticed we were charged twice for invoice {invoice} ({amount} each) on {date}. Can you check?",
                "Hello — our card ending in {last4} shows two identical charges of {amount} from Northwind Cloud on {date}. Looks like a double charge.",
            ]),
            user(&["Here's the screenshot from our bank portal."]),
            user_file("bank-statement-{last4}.png", "image/png"),
            op(&[
                "I'm sorry about that! Let me look at the payment history of {workspace} right now.",
                "Thanks for flagging this. Give me a minute to pull up the payments on {workspace}.",
            ]),
            op(&["You're right: the first attempt on {date} was reported as failed by the bank but actually went through, so our retry charged the card a second time. I've refunded the duplicate {amount}; it shows up on the card ending in {last4} within 5–10 business days."]),
            user(&["Great, thanks. Will I get a credit note for our accounting?"]),
            op(&["Of course — here it is. It's also available under Billing → Invoices."]),
            op_file("credit-note-{invoice}.pdf", "application/pdf"),
        ],
        notes: &[
            "Stripe shows two succeeded charges of {amount}; refunded the second one.",
            "Third duplicate-charge report this week — @{peer} is this the retry bug from the payments incident?",
        ],
    },
    Topic {
        title: "Invoice details",
        category: Category::Billing,
        subjects: &["VAT number missing on invoices", "Please reissue invoice {invoice}"],
        script: &[
            user(&[
                "Hi! Our finance team needs our VAT number and legal address on the invoices. Invoice {invoice} only shows {workspace}. Can this be fixed?",
                "Hello, could you reissue invoice {invoice} with our legal name and VAT ID? Our accountant rejected it.",
            ]),
            op(&["Of course. You can add the VAT ID under Billing → Company details, and future invoices will include it. I can regenerate {invoice} manually — what's the VAT number and billing address?"]),
            user(&["VAT ID is {vat}, and the address is {address}."]),
            op(&["Done! Here's the updated invoice. I've also saved the VAT ID so every future invoice includes it."]),
            op_file("invoice-{invoice}.pdf", "application/pdf"),
        ],
        notes: &["Reverse charge applies (EU B2B) — checked the VAT ID in VIES before reissuing."],
    },
    Topic {
        title: "Refund request",
        category: Category::Billing,
        subjects: &["Refund for the annual plan", "Switched to annual by mistake"],
        script: &[
            user(&[
                "Hi, one of our admins accidentally switched us to annual billing on {date} and we were charged {annual}. We meant to stay monthly. Can we get a refund?",
                "Hello! We renewed annually by mistake ({annual}). Is it possible to go back to monthly billing and get refunded?",
            ]),
            op(&["No problem, that happens! Annual switches can be reversed within 14 days. I'll move {workspace} back to monthly and refund the difference."]),
            op(&["All set: you're back on monthly billing, and {refund} has been refunded to the original payment method. You'll see it in 5–10 business days."]),
            user(&["Thanks! Do we lose anything by going back to monthly?"]),
            op(&["Nothing at all — your features stay exactly the same, only the billing cycle changes."]),
        ],
        notes: &["Within the 14-day window, refund of {refund} approved."],
    },
    Topic {
        title: "Failed payment",
        category: Category::Billing,
        subjects: &["Payment failed", "Card declined — will our account be suspended?"],
        script: &[
            user(&[
                "We got an email saying our payment failed and the workspace will be suspended in 3 days. The card is valid though. What's going on?",
                "Hi, our renewal payment keeps failing with 'card declined', but the bank says everything is fine.",
            ]),
            op(&["Sorry for the stress! The bank returned 'do_not_honor' for the card ending in {last4}. That usually means their fraud check blocked a foreign charge — we bill from Ireland."]),
            user(&["Ah, that makes sense. I called the bank and they whitelisted it. Can you retry?"]),
            op(&["Retried just now and it went through ✅ {workspace} is in good standing and I've removed the suspension warning."]),
            user(&["Great. Also, can we pay by bank transfer going forward?"]),
            op(&["Bank transfer is available on annual plans. I can send you a quote for the {plan} plan billed annually if you'd like to switch at renewal."]),
        ],
        notes: &["Dunning paused for 7 days while they sort out the card.", "Card issuer blocks cross-border charges — common for this bank."],
    },
    Topic {
        title: "Plan upgrade",
        category: Category::Sales,
        subjects: &["Upgrading to {upgrade}", "Question about adding seats"],
        script: &[
            user(&[
                "Hi! We're growing and need more seats — we're {seats} people now. Is it cheaper to upgrade to {upgrade} or to keep adding seats on {plan}?",
                "Hey, we're thinking of moving from {plan} to {upgrade}. What happens to our current billing period?",
            ]),
            op(&["Great news that you're growing! On {plan} every extra seat is billed separately; {upgrade} adds SSO, audit logs and a higher API limit, and the per-seat price drops above 25 seats."]),
            user(&["And if we upgrade mid-month?"]),
            op(&["You only pay the prorated difference for the remaining days — the unused part of {plan} is credited automatically."]),
            user(&["Ok, let's do it. Can you send a quote so I can get sign-off?"]),
            op(&["Here's the quote {quote}, valid for 30 days. Once approved you can upgrade from Billing → Plan, or just reply here and I'll do it for you."]),
            op_file("quote-{quote}.pdf", "application/pdf"),
        ],
        notes: &["Expansion opportunity — looping in @{peer} from sales.", "{seats} seats today, likely double by next year."],
    },
    Topic {
        title: "Cancellation",
        category: Category::Billing,
        subjects: &["Cancel our subscription", "Closing our account at the end of the term"],
        script: &[
            user(&[
                "Hi, we've decided to cancel our subscription at the end of the current period. How do we do that?",
                "Hello, please cancel the subscription of {workspace}. We're consolidating tools.",
            ]),
            op(&["Sorry to see you go! You can cancel any time under Billing → Plan → Cancel subscription, and you keep access until the end of the period. Would you mind sharing what made you decide to leave?"]),
            user(&["Honestly, the price. We only use the reporting part, and {plan} feels like too much for that."]),
            op(&["That's really helpful, thank you. The Starter plan keeps all of reporting at about a third of the price. I can switch you instead of cancelling, if that helps?"]),
            user(&["Oh, I didn't know that. Yes, let's try Starter."]),
            op(&["Done — you'll be on Starter from the next billing date, and nothing changes until then."]),
        ],
        notes: &["Churn risk saved with a downgrade to Starter. CS follow-up in 60 days."],
    },
    Topic {
        title: "Nonprofit discount",
        category: Category::Sales,
        subjects: &["Nonprofit pricing?", "Discount for education"],
        script: &[
            user(&[
                "Hello! We're a small nonprofit. Do you offer any discount?",
                "Hi, I'm setting things up for a school district. Is there education pricing?",
            ]),
            op(&["We do! Registered nonprofits and schools get 40% off any plan. I just need proof of status — a registration certificate or a tax-exemption letter works."]),
            user(&["Here it is."]),
            user_file("registration-certificate.pdf", "application/pdf"),
            op(&["Thanks, that's all we need. I've applied the discount to {workspace}; it'll show on your next invoice."]),
        ],
        notes: &["Certificate verified, NONPROFIT40 coupon applied."],
    },
    Topic {
        title: "Security review",
        category: Category::Sales,
        subjects: &["Security questionnaire for procurement", "SOC 2 report request"],
        script: &[
            user(&[
                "Hi, our procurement team needs your SOC 2 Type II report and a completed security questionnaire before we can sign for {seats} seats.",
                "Hello, before we roll out to the whole company we need a DPA and your latest pen-test summary.",
            ]),
            op(&["Happy to help. Our SOC 2 Type II report and the pen-test summary are shared under NDA — I've just sent the NDA to {email} for e-signature."]),
            user(&["Signed. The questionnaire is attached; it's about 120 questions, sorry!"]),
            user_file("security-questionnaire.csv", "text/csv"),
            op(&["No worries, we get these often. Our security team usually returns them within 5 business days, and I'll post updates here."]),
            op(&["The completed questionnaire and the SOC 2 report are attached. Let me know if your security team has follow-up questions."]),
            op_file("northwind-soc2-type2-report.pdf", "application/pdf"),
        ],
        notes: &["@{peer} can security take this questionnaire? Deal is {seats} seats on {upgrade}."],
    },
    Topic {
        title: "Password reset",
        category: Category::Account,
        subjects: &["Password reset email not arriving", "Can't log in"],
        script: &[
            user(&[
                "I requested a password reset three times and no email arrives. I checked spam too.",
                "Hi, I'm locked out. The 'forgot password' email never shows up.",
            ]),
            op(&["Sorry about that! The reset emails to {email} were bounced by your mail server — it rejects messages from our sending domain."]),
            user(&["Weird. Our IT recently tightened the spam filter, that could be it."]),
            op(&["That would explain it. Ask IT to allow mail from notifications.northwind.cloud. In the meantime I've sent a one-time login link to the phone number on your profile."]),
            user(&["Got it, I'm in! Thanks."]),
        ],
        notes: &["Bounce reason: 550 5.7.1 policy rejection at the recipient's mail server."],
    },
    Topic {
        title: "Two-factor reset",
        category: Category::Account,
        subjects: &["Lost my phone — 2FA", "Two-factor authentication reset"],
        script: &[
            user(&[
                "I got a new phone and lost access to my authenticator app. How can I get back into my account?",
                "Hi, my phone was stolen and my 2FA codes were on it. I can't log in.",
            ]),
            op(&["I can help. For security, I first need to verify it's you: please confirm the last 4 digits of the card on file and the date of your last invoice."]),
            user(&["Card ends in {last4}, last invoice was on {date}."]),
            op(&["Thank you, verified. I've reset two-factor on your account; you'll be asked to set it up again at your next login. Save the new backup codes somewhere safe this time 🙂"]),
        ],
        notes: &["Identity verified with billing details. 2FA reset is logged in the audit trail."],
    },
    Topic {
        title: "SSO setup",
        category: Category::Account,
        subjects: &["SAML SSO setup with {idp}", "Help configuring SSO"],
        script: &[
            user(&[
                "Hi! We're setting up SAML SSO with {idp}. Which ACS URL and entity ID should we use?",
                "Hello, I'm the IT admin at {workspace}. I'm trying to connect {idp} for SSO — where do I find your SAML metadata?",
            ]),
            op(&["Great! Go to Settings → Security → Single sign-on and click 'Configure SAML'. You'll see the ACS URL (https://auth.northwind.cloud/saml/{slug}/acs) and the entity ID, and you can download our metadata XML there."]),
            user(&["Done, and I uploaded the {idp} metadata. When I test, I get 'NameID missing'."]),
            op(&["That means {idp} isn't sending a NameID. In the app settings, set the Name ID format to EmailAddress and map it to the user's email, then test again."]),
            user(&["That fixed it! Can we enforce SSO for everyone?"]),
            op(&["Yes — toggle 'Require SSO' on the same page. I'd keep one owner account with password login as a break-glass account, just in case."]),
        ],
        notes: &["SSO is a Business feature — they're on {plan}, check the entitlement before they enforce it."],
    },
    Topic {
        title: "SSO error",
        category: Category::Account,
        subjects: &["SSO error: invalid audience", "Microsoft login fails"],
        script: &[
            user(&[
                "Since yesterday our team gets 'SAML response: invalid audience' when signing in with Microsoft Entra ID.",
                "Hi, nobody at {workspace} can log in with SSO today — the error says 'invalid audience'.",
            ]),
            op(&["Thanks for the report. Could you send a screenshot of the error page and the Identifier (Entity ID) configured in Entra?"]),
            user(&["Sure, here you go."]),
            user_file("sso-error.png", "image/png"),
            op(&["Found it: the Identifier in Entra ends with a trailing slash (…/saml/{slug}/) and we expect it without one. Removing the slash fixes the audience check."]),
            user(&["Can't believe it was a slash. Working now, thanks!"]),
        ],
        notes: &["Common Entra mistake — should we normalise trailing slashes? Filed as {ticket}."],
    },
    Topic {
        title: "Ownership transfer",
        category: Category::Account,
        subjects: &["Transfer workspace ownership", "Our account owner left the company"],
        script: &[
            user(&[
                "The owner of our workspace left {workspace} last month and nobody can change billing now. How do we transfer ownership?",
                "Hi, I need to become the owner of our workspace — the current owner is leaving on {date}.",
            ]),
            op(&["We can do that. If the current owner can still log in, they can transfer it under Settings → Members. Otherwise we need a request on company letterhead, signed by someone authorised."]),
            user(&["They can't log in anymore. Here's the letter, signed by our CFO."]),
            user_file("ownership-transfer-request.pdf", "application/pdf"),
            op(&["Thanks, received and verified. You're now the owner of {workspace} — Billing and Security should show up in your settings."]),
        ],
        notes: &["Checked the signer against the company registry — matches the CFO listed on their website."],
    },
    Topic {
        title: "Seat limit",
        category: Category::Account,
        subjects: &["Can't invite new teammates", "Seat limit reached?"],
        script: &[
            user(&[
                "I'm trying to invite two new colleagues, but the invite button is greyed out.",
                "Hi, inviting teammates fails with 'seat limit reached', but only {seats} of us use the app.",
            ]),
            op(&["Let me check. It looks like there are pending invitations that still count as seats — 4 of them are more than a month old."]),
            user(&["Oh! Those are people who never joined. Can I remove them?"]),
            op(&["Yes: under Settings → Members → Pending you can revoke them, and the seats free up immediately."]),
            user(&["Revoked them and the new invites went out. Thanks!"]),
        ],
        notes: &["Pending invites counting as seats confuses people. +1 on {ticket}."],
    },
    Topic {
        title: "GDPR erasure",
        category: Category::Account,
        subjects: &["GDPR deletion request", "Delete a customer's personal data"],
        script: &[
            user(&[
                "Hello, one of our end users asked us to delete all their personal data under GDPR Art. 17. How do we remove them from Northwind?",
                "Hi, we received a right-to-be-forgotten request. What's the process to erase one person's data?",
            ]),
            op(&["Open the person under Contacts, then ⋯ → 'Erase personal data'. That deletes their profile, events and message content; invoices we must legally keep are anonymised."]),
            user(&["Do you have a confirmation we can send them?"]),
            op(&["Yes — after the erasure you can download a deletion certificate from the same menu. It includes the timestamp and a reference number."]),
            user(&["And is the data also removed from backups?"]),
            op(&["Backups are encrypted and rotate out after 30 days, so the data disappears from them automatically within that window. That's covered in section 8 of our DPA."]),
        ],
        notes: &["Legal asked us to log erasure questions — added to the GDPR tracker."],
    },
    Topic {
        title: "Data export",
        category: Category::Account,
        subjects: &["Export all our data", "Data export for an audit"],
        script: &[
            user(&[
                "We need a full export of our workspace data (contacts, events, invoices) for an audit. Is there a way to get everything at once?",
                "Hi! How can I export everything we have in Northwind? Our auditors want a copy.",
            ]),
            op(&["Yes: Settings → Data → Export workspace builds a ZIP with a CSV file per object. Large workspaces take a few minutes, and we email {email} when it's ready."]),
            user(&["I started it an hour ago and it still says 'in progress'. We have around {count} contacts."]),
            op(&["I see it — the export got stuck behind a big job in the queue. I've restarted it with priority; it should be done in about {minutes} minutes."]),
            op(&["Your export is ready. Here's the contacts file; the link to the full ZIP is in your inbox."]),
            op_file("contacts-export-{slug}.csv", "text/csv"),
        ],
        notes: &["Export worker was stuck on a huge job from another tenant; restarted with priority."],
    },
    Topic {
        title: "API rate limits",
        category: Category::Technical,
        subjects: &["Getting 429 Too Many Requests", "API rate limit question"],
        script: &[
            user(&[
                "Our nightly sync started failing with HTTP 429 'rate_limited'. We send around {rpm} requests per minute. What's the limit?",
                "Hi, what are the API rate limits on {plan}? Our importer gets 429s after a few minutes.",
            ]),
            op(&["On {plan} the API allows {limit} requests per minute per token, with short bursts up to twice that. At {rpm} per minute you're above the sustained limit."]),
            user(&["Can the limit be raised? Splitting the job would take us a while."]),
            op(&["Two options: the bulk endpoint (POST /v2/contacts/batch, up to 500 records per call) would cut your calls by about 99%, or {upgrade} has four times the limit. Either way, please honour the Retry-After header."]),
            user(&["The bulk endpoint sounds perfect. Does a batch count as one request?"]),
            op(&["Exactly: one batch is one request. The 'Bulk import' page in our docs has a complete example."]),
        ],
        notes: &["Their token hits the limiter about {errors} times an hour since {date}."],
    },
    Topic {
        title: "Webhook failures",
        category: Category::Technical,
        subjects: &["Webhooks failing with 410", "Webhook endpoint disabled"],
        script: &[
            user(&[
                "We stopped receiving webhooks yesterday. The dashboard says the endpoint was disabled after repeated failures?",
                "Hi, our webhook endpoint shows 'disabled' in the dashboard. What happened?",
            ]),
            op(&["Yes — your endpoint https://{site}/webhooks/northwind answered HTTP 410 Gone to {errors} deliveries in a row, so it was disabled automatically to protect the queue."]),
            user(&["We moved the endpoint during a deploy. It's /hooks/northwind now."]),
            op(&["Got it. Update the URL under Settings → Webhooks and click 'Re-enable'. Failed deliveries from the last 72 hours can be replayed from the same page."]),
            user(&["Updated and replaying now. Here's the delivery log in case it's useful."]),
            user_file("webhook-deliveries.csv", "text/csv"),
            op(&["Looks good — I can see the replays coming in with 200 responses. You're all set!"]),
        ],
        notes: &["Auto-disable kicked in after 50 consecutive failures, as designed."],
    },
    Topic {
        title: "API authentication",
        category: Category::Technical,
        subjects: &["API returns 401 after rotating keys", "Unauthorized errors on every call"],
        script: &[
            user(&[
                "We rotated our API key this morning and now every request returns 401 'invalid_token'. The new key is definitely right.",
                "Hi, all our API calls fail with 401 since we regenerated the key. Help!",
            ]),
            op(&["Could you share the request ID of one of the failing calls? It's in the X-Request-Id response header."]),
            user(&["Sure: {req}"]),
            op(&["Thanks! That request used a key starting with nw_test_, which only works against the sandbox. In production you need the nw_live_ key from Settings → API keys."]),
            user(&["Argh, I copied the wrong one. Working now 🙈"]),
        ],
        notes: &["Another test/live key mix-up — the error could say so. Filed {ticket}."],
    },
    Topic {
        title: "Dashboard bug",
        category: Category::Technical,
        subjects: &["Bug: charts are blank on the dashboard", "Dashboard not loading data"],
        script: &[
            user(&[
                "Hi, since this morning every chart on the dashboard is blank. Steps: 1) log in 2) open Dashboard 3) pick 'Last 30 days'. The widgets spin forever. I'm on {browser}, {os}.",
                "Bug report: the dashboard widgets never load. Happens every time I open it, in {browser} on {os}.",
            ]),
            user_file("blank-dashboard.png", "image/png"),
            op(&["Thanks for the detailed steps and the screenshot! Does it also happen in a private window? That would rule out a browser extension."]),
            user(&["Private window works fine, interesting."]),
            op(&["Then it's very likely an ad blocker blocking our analytics endpoint — it's called /events, which some filter lists match. Could you allow app.northwind.cloud in it?"]),
            user(&["That was it. Maybe rename the endpoint? 😄"]),
            op(&["Ha, fair point — I've passed it on to the team as {ticket}. Sorry for the trouble!"]),
        ],
        notes: &["EasyPrivacy matches /events. Engineering is aware ({ticket})."],
    },
    Topic {
        title: "CSV import",
        category: Category::Technical,
        subjects: &["CSV import fails", "Import error on row {row}"],
        script: &[
            user(&[
                "I'm importing {count} contacts from a CSV and it fails at row {row} with 'invalid byte sequence'.",
                "Hi, our contact import stops at row {row}. The error says 'invalid byte sequence'. File attached.",
            ]),
            user_file("contacts-import.csv", "text/csv"),
            op(&["Thanks for the file. It's saved in Windows-1252, and row {row} has an accented name our importer can't read. Could you re-export it as UTF-8?"]),
            user(&["How do I do that in Excel?"]),
            op(&["File → Save As → choose 'CSV UTF-8 (Comma delimited)'. Then upload it again and it'll go through."]),
            user(&["Worked — all {count} imported!"]),
        ],
        notes: &["The importer should detect the encoding — {ticket}."],
    },
    Topic {
        title: "iOS app crash",
        category: Category::Technical,
        subjects: &["iOS app crashes on launch", "Mobile app keeps crashing"],
        script: &[
            user(&[
                "The iPhone app crashes right after the splash screen since the last update. {device}, app version {version}.",
                "Hi! The Northwind app closes as soon as I open it on my {device}. Reinstalling didn't help.",
            ]),
            op(&["Sorry about that! We've had a few reports from version {version}. Do you see any error message before it closes?"]),
            user(&["No message, it just closes. Here's a photo of the screen right before."]),
            user_file("IMG_{img}.jpeg", "image/jpeg"),
            op(&["Thank you. The team found the cause: a crash when the app restores an expired session. The fix ships in {fixversion} this week; logging out on the web and back in on the phone works around it meanwhile."]),
            user(&["Will do, thanks for the quick answer."]),
        ],
        notes: &["Crash reports: 312 crashes in SessionRestore since {version}. Hotfix {fixversion} in review."],
    },
    Topic {
        title: "Android notifications",
        category: Category::Technical,
        subjects: &["No push notifications on Android", "Android app notifications missing"],
        script: &[
            user(&[
                "I don't get push notifications on my {android} anymore. They work on my colleague's iPhone.",
                "Hi, notifications stopped arriving on Android a few days ago. Phone is a {android}.",
            ]),
            op(&["Let's check one thing first: is battery optimisation turned off for Northwind under Settings → Apps → Northwind → Battery? Android often stops background apps."]),
            user(&["It was set to 'Optimized'. I changed it to 'Unrestricted'."]),
            op(&["Perfect. Now send yourself a test from the app: Settings → Notifications → Send test."]),
            user(&["Got the test one! 🎉"]),
        ],
        notes: &["Battery optimisation again — worth a line in the Android FAQ."],
    },
    Topic {
        title: "Slack integration",
        category: Category::Technical,
        subjects: &["Slack integration stopped posting", "Reconnect Slack"],
        script: &[
            user(&[
                "Our Slack channel stopped getting Northwind alerts last week. Nothing changed on our side as far as I know.",
                "Hi, the Slack alerts have gone quiet since {date}. Is the integration broken?",
            ]),
            op(&["Slack revoked the token of {workspace} on {date}. That happens when the person who installed the app leaves the Slack workspace or gets deactivated."]),
            user(&["Yes, that person left. So I just reinstall?"]),
            op(&["Exactly: Settings → Integrations → Slack → Reconnect. Use an account that's likely to stick around, or a service account."]),
            user(&["Reconnected and the alerts are back. Thanks!"]),
        ],
        notes: &["Slack returned token_revoked on {date}."],
    },
    Topic {
        title: "Zapier integration",
        category: Category::Technical,
        subjects: &["Zapier trigger not firing", "Zap doesn't trigger on new deals"],
        script: &[
            user(&[
                "Our Zap 'New deal → Google Sheets' stopped triggering. Zapier says it found no new records.",
                "Hi, our Zapier automation hasn't run since {date}. The trigger test finds nothing.",
            ]),
            op(&["Our Zapier app switched to instant (webhook) triggers on {date}. Zaps created before then need the trigger step re-selected so that Zapier registers the webhook."]),
            user(&["I re-selected the trigger and tested it — still nothing."]),
            op(&["Could you turn the Zap off and on again? The webhook is registered when the Zap is switched on, and I'll watch for it on our side."]),
            user(&["Off and on… and it fired! Amazing."]),
        ],
        notes: &["The move to REST hooks broke old zaps — 14 tickets so far. @{peer} should we email affected users?"],
    },
    Topic {
        title: "Outage report",
        category: Category::Technical,
        subjects: &["Is Northwind down?", "App not loading"],
        script: &[
            user(&[
                "Is something down? The app has been showing 'Something went wrong' for the last {minutes} minutes.",
                "Hi, we get 503s from the API and the dashboard won't load. Are you having an outage?",
            ]),
            op(&["Yes, sorry — we're investigating an issue with our database cluster in {region}. You can follow the updates on status.northwind.cloud."]),
            user(&["Ok, any ETA? Our support team is blocked."]),
            op(&["The failover has completed and things are recovering. Could you try reloading?"]),
            user(&["Loading again 👍"]),
            op(&["Great. We'll publish a post-mortem on the status page within 48 hours. Sorry again for the disruption."]),
        ],
        notes: &["Linked to incident INC-{inc}."],
    },
    Topic {
        title: "Custom domain",
        category: Category::Technical,
        subjects: &["Custom domain stuck on 'Pending SSL'", "SSL certificate for help.{site}"],
        script: &[
            user(&[
                "We added help.{site} as a custom domain two days ago and it's still 'Pending SSL'.",
                "Hi, our help center domain never gets its certificate. It's help.{site}.",
            ]),
            op(&["I checked the DNS: help.{site} points to an IP address instead of a CNAME to custom.northwind.cloud, so the certificate can't be issued."]),
            user(&["Changed it to the CNAME now. How long does it take?"]),
            op(&["Once DNS propagates (usually under an hour), the certificate is issued automatically. I'll keep an eye on it."]),
            op(&["Certificate issued ✅ help.{site} is live over HTTPS."]),
        ],
        notes: &["Old A record still cached by their DNS provider."],
    },
    Topic {
        title: "Email deliverability",
        category: Category::Technical,
        subjects: &["Our notification emails go to spam", "Setting up SPF and DKIM"],
        script: &[
            user(&[
                "Emails we send to our customers through Northwind keep landing in spam, especially in Gmail.",
                "Hi, how do we set up DKIM for {site}? Our emails end up in junk folders.",
            ]),
            op(&["That's usually a missing DKIM signature for your own domain. Under Settings → Email → Domains, add {site} and publish the two DKIM CNAME records it shows."]),
            user(&["Added. What about SPF, do we need to change it too?"]),
            op(&["Yes: add include:spf.northwind.cloud to your existing SPF record — don't create a second one, a domain can only have one SPF record."]),
            user(&["Done. The dashboard shows everything green now."]),
            op(&["Perfect, DKIM and SPF are both verified. Deliverability should improve within a day or two."]),
        ],
        notes: &[],
    },
    Topic {
        title: "Slow reports",
        category: Category::Technical,
        subjects: &["Reports are very slow", "Report times out"],
        script: &[
            user(&[
                "The 'Revenue by month' report takes over {minutes} minutes to load and sometimes times out.",
                "Hi, our main report has become painfully slow. Anything we can do?",
            ]),
            op(&["I can reproduce it. The report is grouped by customer over all time — that's {count} rows. Filtering to the last 12 months makes it load in seconds."]),
            user(&["We need all-time numbers for our board deck though."]),
            op(&["Understood. Then schedule it as an export (Reports → ⋯ → Schedule): scheduled reports run in the background and arrive by email as CSV. I ran it once for you:"]),
            op_file("revenue-by-month.csv", "text/csv"),
        ],
        notes: &["Query does a sequential scan on events — perf ticket {ticket}."],
    },
    Topic {
        title: "Feature request",
        category: Category::Feedback,
        subjects: &["Feature request: {feature}", "Any plans for {feature}?"],
        script: &[
            user(&[
                "Hi team! Any plans to add {feature}? It's the one thing our team keeps asking for.",
                "Feature request: we'd love {feature}. Is that on the roadmap?",
            ]),
            op(&["Thanks for the suggestion! It's on our radar, and I've added the vote of {workspace} to the request so the product team sees the demand."]),
            user(&["Is there a rough timeline?"]),
            op(&["I can't promise a date, but it's in the planning for next quarter. I'll update you here as soon as it ships."]),
        ],
        notes: &["+1 for {feature} ({ticket}). Customer is on {plan}."],
    },
    Topic {
        title: "Product feedback",
        category: Category::Feedback,
        subjects: &["Feedback on the new editor", "Loving the new reports"],
        script: &[
            user(&[
                "Just wanted to say the new report builder is fantastic. It saved me an hour this week!",
                "Quick feedback: the new editor is great, but the save button moved and half my team can't find it.",
            ]),
            op(&["Thank you so much for taking the time to write! I've shared this with the product team."]),
            user(&["One small thing: keyboard shortcuts would make it perfect."]),
            op(&["Good news — press ? anywhere in the editor to see the shortcuts. Most actions have one."]),
        ],
        notes: &["Forwarded to #product-feedback."],
    },
    Topic {
        title: "Onboarding",
        category: Category::Account,
        subjects: &["Getting started", "How do I set up my first project?"],
        script: &[
            user(&[
                "Hi! We just started the trial. What's the best way to get started with {seats} people?",
                "Hello, I'm new to Northwind. Where should I begin to set things up for my team?",
            ]),
            op(&["Welcome aboard! I'd suggest: 1) create a project per team, 2) invite your teammates from Settings → Members, 3) connect your data source under Integrations. The 15-minute setup guide walks through all three."]),
            user(&["Can we import data from a spreadsheet?"]),
            op(&["Yes — Contacts → Import accepts CSV files. Here's a template with the expected columns."]),
            op_file("import-template.csv", "text/csv"),
            user(&["Super helpful, thanks!"]),
        ],
        notes: &["Trial with {seats} seats — good fit for {upgrade}. Book an onboarding call?"],
    },
    Topic {
        title: "Report timezone",
        category: Category::Technical,
        subjects: &["Daily report uses the wrong timezone", "Numbers shifted by a few hours"],
        script: &[
            user(&[
                "Our daily report shows yesterday's numbers shifted by a few hours. Is it using UTC?",
                "Hi, the report totals don't match our own numbers — I think it's a timezone thing.",
            ]),
            op(&["Good catch: reports use the workspace timezone, and {workspace} is still set to UTC. You can change it under Settings → General → Timezone."]),
            user(&["Changed it to our local time. Will old reports update?"]),
            op(&["Yes, reports are computed on the fly, so every period — past ones included — now uses the new timezone."]),
        ],
        notes: &[],
    },
    Topic {
        title: "Login email change",
        category: Category::Account,
        subjects: &["Change of email domain", "Update login emails for the team"],
        script: &[
            user(&[
                "Our company changed its domain to {site}. How do I change my login email?",
                "Hi, we're moving everyone to new email addresses. Can we change logins without losing data?",
            ]),
            op(&["You can change it under Profile → Email. We send a confirmation link to the new address, and your login switches once you click it."]),
            user(&["Can you change it for the whole team at once? There are {seats} of us."]),
            op(&["With SSO on {upgrade} it updates automatically from your identity provider. Otherwise I can run a bulk update — just send me a CSV with the old and new addresses."]),
            user(&["Here's the list."]),
            user_file("email-migration.csv", "text/csv"),
            op(&["Done — all addresses are updated, and everyone got a notice by email."]),
        ],
        notes: &["Bulk email change done with the admin script; spot-checked 5 accounts."],
    },
    Topic {
        title: "Duplicate contacts",
        category: Category::Technical,
        subjects: &["Duplicate contacts after HubSpot sync", "Merge duplicates"],
        script: &[
            user(&[
                "We have lots of duplicate contacts after connecting HubSpot. Can they be merged automatically?",
                "Hi, since the CRM sync we see every contact twice. How do we clean this up?",
            ]),
            op(&["Yes — Contacts → Duplicates lists them grouped by email. You can merge each group, or select all and click 'Merge'. The oldest record stays the primary one."]),
            user(&["Does merging keep the activity history of both?"]),
            op(&["It does: events, notes and conversations of both records end up on the merged contact."]),
        ],
        notes: &[],
    },
    Topic {
        title: "API pagination",
        category: Category::Technical,
        subjects: &["Question about API pagination", "Only 100 events returned"],
        script: &[
            user(&[
                "Quick API question: /v2/events returns at most 100 items. How do I get the rest?",
                "Hi, our script only ever gets the first 100 events from the API. Are we missing a parameter?",
            ]),
            op(&["The response includes a next_cursor field — pass it as ?cursor=… on the next call and repeat until it's null. That endpoint doesn't support page numbers."]),
            user(&["Ah, I missed that. Is the order stable if new events arrive while I'm paging?"]),
            op(&["Yes, cursors are stable: new events appear at the start, so paging never skips or repeats items."]),
        ],
        notes: &[],
    },
];

// ---------------------------------------------------------------------------------------------
// Data: long incident threads

const INCIDENTS: &[Incident] = &[
    Incident {
        topic: Topic {
            title: "API outage",
            category: Category::Technical,
            subjects: &["URGENT: API returning 502 errors", "Production API failures in {region}"],
            script: &[],
            notes: &[],
        },
        symptom: "502 errors from the API",
        opening: &[
            user(&["URGENT — since about {minutes} minutes ago roughly a third of our API calls fail with 502 Bad Gateway. Our checkout depends on this."]),
            user(&["We're on {region}, nothing deployed on our side today."]),
        ],
    },
    Incident {
        topic: Topic {
            title: "Webhook delays",
            category: Category::Technical,
            subjects: &["Webhooks arriving hours late", "Webhook delivery delays"],
            script: &[],
            notes: &[],
        },
        symptom: "webhook deliveries arriving late",
        opening: &[
            user(&["Hi, webhook deliveries to our endpoint are arriving 2–3 hours late since last night. Our order fulfilment relies on them being near real time."]),
            user(&["Our endpoint answers in under 100 ms, so it's not on our side."]),
        ],
    },
    Incident {
        topic: Topic {
            title: "Sync stuck",
            category: Category::Technical,
            subjects: &["Sync jobs stuck in 'queued'", "Data sync not running"],
            script: &[],
            notes: &[],
        },
        symptom: "sync jobs stuck in 'queued'",
        opening: &[
            user(&["All our sync jobs have been stuck in 'queued' since this morning — nothing has synced for {minutes} minutes now and the dashboards show stale numbers."]),
            user(&["Tried cancelling and restarting one, it just goes back to 'queued'."]),
        ],
    },
    Incident {
        topic: Topic {
            title: "Email delays",
            category: Category::Technical,
            subjects: &["Notification emails delayed", "Emails not being sent"],
            script: &[],
            notes: &[],
        },
        symptom: "notification emails going out late",
        opening: &[
            user(&["Our customers say they're not getting the notification emails we send through Northwind. Some arrived 4 hours late, some not at all."]),
            user(&["This affects password resets on our side too, so it's pretty urgent."]),
        ],
    },
    Incident {
        topic: Topic {
            title: "Dashboard timeouts",
            category: Category::Technical,
            subjects: &["Dashboard timing out after the migration", "Workspace extremely slow"],
            script: &[],
            notes: &[],
        },
        symptom: "the dashboard timing out",
        opening: &[
            user(&["Since the data migration you did for us on {date}, the dashboard times out for most of our team. Pages take 30+ seconds or fail."]),
            user(&["{seats} people are basically unable to work right now."]),
        ],
    },
];

/// The phases every incident goes through; each entry is a short exchange ("unit").
const INCIDENT_PHASES: [&[&[Step]]; 4] = [
    INCIDENT_TRIAGE,
    INCIDENT_DIAGNOSIS,
    INCIDENT_MITIGATION,
    INCIDENT_MONITORING,
];

const INCIDENT_TRIAGE: &[&[Step]] = &[
    &[
        op(&["Thanks for reporting this. I'm escalating it to our on-call engineer right now."]),
        user(&["Thanks. For context, this affects our production environment."]),
    ],
    &[
        user(&["Is this a known issue? There's nothing on your status page yet."]),
        op(&["Not yet — we're confirming the scope before posting. You're the second customer to report it in the last few minutes."]),
    ],
    &[
        op(&["Could you tell me roughly when it started, and whether all of your workspaces are affected?"]),
        user(&["First problems about {minutes} minutes before I wrote. Only our production workspace, staging looks fine."]),
    ],
    &[
        op(&["Could you send a couple of example request IDs?"]),
        user(&["Here are two from the last few minutes: {req} and {req}."]),
    ],
    &[
        user(&["Our own customers are starting to notice — anything I can tell them?"]),
        op(&["You can say we're aware of an issue with a provider and are working on it. I'll post an update here every 30 minutes."]),
    ],
    &[
        user(&["Here's a screenshot from our monitoring."]),
        user_file("monitoring-{region}.png", "image/png"),
        op(&["That's very useful, thanks — the spike lines up exactly with what we see."]),
    ],
    &[
        op(&["The status page is now updated: status.northwind.cloud. I'll keep this thread posted too."]),
        user(&["Perfect, subscribed."]),
    ],
    &[
        user(&["Should we pause our retries so we don't make it worse?"]),
        op(&["Good thinking — yes, one retry per minute would help the queue drain faster."]),
        user(&["Done, retries are throttled now."]),
    ],
    &[
        user(&["Is there anyone I can call? This is costing us money every minute."]),
        op(&["I understand. Our engineers are fully on it and a call wouldn't speed them up, but I'm right here and will relay everything the moment I hear it."]),
    ],
];

const INCIDENT_DIAGNOSIS: &[&[Step]] = &[
    &[
        op(&["Update: the engineers traced it to a saturated connection pool on one of the {region} database replicas."]),
        user(&["Ok. Does that affect data integrity?"]),
        op(&["No data was lost — requests either completed or failed cleanly."]),
    ],
    &[
        user(&["We're now at {errors} failed calls in the last hour."]),
        op(&["Noted, that matches the error rate we see for your workspace."]),
    ],
    &[
        op(&["Could you run the health check from our docs and paste the output?"]),
        user(&["It says 'latency p95: 4.8s, errors: {errors}, region: {region}'."]),
    ],
    &[
        user(&["I exported our error log in case it helps."]),
        user_file("error-log-{region}.csv", "text/csv"),
        op(&["Thanks, I've forwarded it to the team."]),
    ],
    &[
        op(&["We found a bad deploy of our edge proxy at the same time. It's being rolled back now."]),
        user(&["Fingers crossed 🤞"]),
    ],
    &[
        user(&["Still seeing {symptom} — maybe slightly fewer?"]),
        op(&["Yes, the first fix is rolling out now. It should keep improving over the next 15 minutes."]),
    ],
    &[
        op(&["One question from the engineering team: are you using the keep-alive setting of our SDK?"]),
        user(&["Yes, we run the Node SDK with its default settings."]),
        op(&["Thanks, that helps them rule out one theory."]),
    ],
    &[
        user(&["Our CTO is asking for an ETA."]),
        op(&["I don't want to give you a wrong number. Engineering's best estimate is within the next hour; I'll confirm as soon as I know more."]),
    ],
    &[
        op(&["Sorry for the silence — the team is still on it. The issue is isolated to {region}."]),
        user(&["Understood, thanks for the heads-up."]),
    ],
    &[
        user(&["Can you check request {req}? That one took 38 seconds."]),
        op(&["That request waited 37 seconds in the queue before being processed — a clear sign of the backlog."]),
    ],
    &[
        user(&["Here's what our users see."]),
        user_file("customer-error-screen.png", "image/png"),
        op(&["Thank you. That error page comes from the failed calls, so it will go away with the fix."]),
    ],
    &[
        op(&["Another update: the replica is being replaced by a fresh one with twice the connection limit."]),
        user(&["How long does that take?"]),
        op(&["Usually 20 to 40 minutes, including the data catch-up."]),
    ],
    &[
        user(&["Would moving our workspace to another region help in the meantime?"]),
        op(&["Unfortunately a region move takes a maintenance window of its own, so it wouldn't be faster than the fix."]),
    ],
];

const INCIDENT_MITIGATION: &[&[Step]] = &[
    &[
        op(&["Good news: the fix is deployed and error rates are back to normal on our side. Can you confirm?"]),
        user(&["Looking better! Mostly successes now."]),
    ],
    &[
        user(&["A few calls still time out."]),
        op(&["That's the backlog draining; it should settle within 20–30 minutes."]),
    ],
    &[
        op(&["We're replaying everything that failed during the incident. You may receive some duplicates — they carry the same event ID, so you can deduplicate on it."]),
        user(&["Good to know, our handler is idempotent."]),
    ],
    &[
        user(&["Zero errors for the last 15 minutes."]),
        op(&["Excellent, thanks for confirming!"]),
    ],
    &[
        op(&["We've added extra capacity in {region} as a precaution."]),
        user(&["Appreciated."]),
    ],
    &[
        user(&["Is there anything we should change on our side?"]),
        op(&["No changes needed. Optionally, exponential backoff on retries makes your integration more resilient to blips like this."]),
    ],
    &[
        user(&["Here's an updated graph — back to baseline."]),
        user_file("latency-after-fix.png", "image/png"),
        op(&["Looks great."]),
    ],
    &[
        user(&["The replayed events all arrived, our numbers match again."]),
        op(&["Perfect, thanks for checking so thoroughly."]),
    ],
];

const INCIDENT_MONITORING: &[&[Step]] = &[
    &[
        user(&["Morning — everything was stable overnight."]),
        op(&["Same on our side. We're keeping a close eye on it today."]),
    ],
    &[
        user(&["We saw a short spike of errors at around 9am again."]),
        op(&["Thanks, checking… that was a 2-minute blip during a failover test. There won't be another one without notice."]),
    ],
    &[
        op(&["Quick check-in: how has it been since yesterday?"]),
        user(&["All quiet, thanks."]),
    ],
    &[
        user(&["Our finance team asks whether this counts towards the SLA."]),
        op(&["Yes, the downtime exceeded our 99.9% monthly commitment, so you're eligible for a service credit. I'll include it in the post-incident report."]),
    ],
    &[
        op(&["Heads-up: we'll do a controlled restart of the {region} cluster tonight at 22:00 UTC. You shouldn't notice anything."]),
        user(&["Thanks for the advance notice."]),
    ],
    &[
        user(&["Everything's fine after the restart."]),
        op(&["Great to hear."]),
    ],
    &[
        user(&["Could we get a call with your engineering team about this?"]),
        op(&["Sure — {peer} from our SRE team can join. Does tomorrow at 15:00 UTC work?"]),
        user(&["Works for us, invite sent."]),
    ],
    &[
        op(&["Here's the timeline we've reconstructed so far."]),
        op_file("incident-timeline-INC-{inc}.pdf", "application/pdf"),
        user(&["Thanks, reading it now."]),
    ],
    &[
        user(&["Thanks for the call earlier, it really helped our team understand what happened."]),
        op(&["Thank you for making the time. {peer} is writing up the action items we discussed."]),
    ],
];

const INCIDENT_WRAP_UP: &[&[Step]] = &[
    &[
        op(&["The post-incident report is ready. The root cause was a connection limit that wasn't raised when we added capacity last month."]),
        op_file("rca-INC-{inc}.pdf", "application/pdf"),
        user(&["Thanks for the transparency."]),
    ],
    &[
        op(&["We've applied a service credit of {credit} to your next invoice."]),
        user(&["Much appreciated."]),
    ],
    &[
        user(&["We're closing this on our side. Thanks for all the updates."]),
        op(&["Thank you for your patience, {first}. I'm closing this thread — reply any time if anything comes back."]),
    ],
];

const INCIDENT_STILL_OPEN: &[&str] = &[
    "Any update? We're still seeing occasional {symptom}.",
    "Hi again — it's better, but we still get {symptom} now and then. Is the fix fully rolled out?",
    "Morning. Still some {symptom} overnight; could someone take another look?",
];

/// Private notes per phase of `INCIDENT_PHASES`.
const INCIDENT_PHASE_NOTES: [&[&str]; 4] = [
    &[
        "Incident INC-{inc} opened, on-call paged.",
        "Escalated to the engineering manager on duty.",
        "Status page updated.",
        "Customer is calm, but their CTO is following this thread.",
        "Added this workspace to the affected accounts list on INC-{inc}.",
    ],
    &[
        "@{peer} customer is asking for an ETA again — anything new from SRE?",
        "Their error log matches the replica saturation, nothing else going on.",
        "Customer's request IDs all hit the same replica.",
        "@{peer} can you cover this thread overnight? I'm off at 18:00.",
        "Customer on {plan}, SLA 99.9% — a credit is likely.",
    ],
    &[
        "SRE says the fix is fully rolled out.",
        "Replay job started for this workspace.",
        "Confirmed fixed for this workspace in our metrics.",
        "Error rate for this workspace back under 0.1%.",
    ],
    &[
        "Post-incident call scheduled with {peer}.",
        "Remember to send the RCA once it's published.",
        "Credit approved by finance: {credit}.",
        "Customer asked for the RCA to be shared with their CTO as well.",
    ],
];

// ---------------------------------------------------------------------------------------------
// Data: campaigns

/// A campaign list item; `ready`, `dispatched`, `running` and `progress` encode its state.
struct CampaignRow {
    name: &'static str,
    subject: &'static str,
    tag: &'static str,
    kind: &'static str,
    format: &'static str,
    ready: bool,
    dispatched: bool,
    running: bool,
    progress: u8,
    targets: u32,
    /// Hours before "now".
    created: i64,
    updated: i64,
    dispatched_ago: Option<i64>,
}

#[rustfmt::skip]
const CAMPAIGNS: &[CampaignRow] = &[
    // state: sending
    CampaignRow { name: "November product update", subject: "What's new in November: scheduled reports and faster imports", tag: "product-updates", kind: "one-shot", format: "markdown", ready: true, dispatched: true, running: true, progress: 64, targets: 4_820, created: 120, updated: 1, dispatched_ago: Some(2) },
    // state: sending
    CampaignRow { name: "Trial day 3 nudge", subject: "3 quick wins for your Northwind trial", tag: "onboarding", kind: "automated", format: "markdown", ready: true, dispatched: true, running: true, progress: 37, targets: 1_260, created: 2_900, updated: 5, dispatched_ago: Some(2_100) },
    // state: sending
    CampaignRow { name: "Onboarding: invite your team (day 1)", subject: "Northwind is better with your team", tag: "onboarding", kind: "automated", format: "html", ready: true, dispatched: true, running: true, progress: 12, targets: 980, created: 1_700, updated: 3, dispatched_ago: Some(1_500) },
    // state: ready
    CampaignRow { name: "Black Friday — 30% off annual", subject: "30% off annual plans, this week only", tag: "promotions", kind: "one-shot", format: "html", ready: true, dispatched: false, running: false, progress: 0, targets: 6_340, created: 210, updated: 20, dispatched_ago: None },
    // state: ready
    CampaignRow { name: "Price change notice — Starter plan", subject: "Upcoming changes to the Starter plan", tag: "billing", kind: "one-shot", format: "markdown", ready: true, dispatched: false, running: false, progress: 0, targets: 2_115, created: 340, updated: 44, dispatched_ago: None },
    // state: ready
    CampaignRow { name: "Scheduled maintenance — November 9", subject: "Planned maintenance on November 9, 02:00–03:00 UTC", tag: "announcements", kind: "one-shot", format: "markdown", ready: true, dispatched: false, running: false, progress: 0, targets: 7_902, created: 60, updated: 6, dispatched_ago: None },
    // state: draft
    CampaignRow { name: "Cyber Monday last call", subject: "Last call: 30% off ends tonight", tag: "promotions", kind: "one-shot", format: "html", ready: false, dispatched: false, running: false, progress: 0, targets: 0, created: 96, updated: 30, dispatched_ago: None },
    // state: draft
    CampaignRow { name: "Year in review 2026", subject: "Your year with Northwind", tag: "product-updates", kind: "one-shot", format: "html", ready: false, dispatched: false, running: false, progress: 0, targets: 0, created: 48, updated: 4, dispatched_ago: None },
    // state: draft
    CampaignRow { name: "Customer webinar: Automations 101", subject: "Join our live webinar on automations", tag: "events", kind: "one-shot", format: "markdown", ready: false, dispatched: false, running: false, progress: 0, targets: 0, created: 200, updated: 150, dispatched_ago: None },
    // state: paused
    CampaignRow { name: "Trial expired — win-back", subject: "We saved your workspace for you", tag: "retention", kind: "automated", format: "markdown", ready: true, dispatched: true, running: false, progress: 52, targets: 1_840, created: 4_300, updated: 72, dispatched_ago: Some(4_000) },
    // state: paused
    CampaignRow { name: "NPS survey Q4", subject: "How likely are you to recommend Northwind?", tag: "research", kind: "one-shot", format: "markdown", ready: true, dispatched: true, running: false, progress: 18, targets: 5_410, created: 260, updated: 90, dispatched_ago: Some(100) },
    // state: paused
    CampaignRow { name: "Dunning: card expiring soon", subject: "Your card on file expires soon", tag: "billing", kind: "automated", format: "markdown", ready: true, dispatched: true, running: false, progress: 73, targets: 640, created: 6_200, updated: 240, dispatched_ago: Some(6_000) },
    // state: done
    CampaignRow { name: "October product update", subject: "What's new in October: SSO on Pro and a new API explorer", tag: "product-updates", kind: "one-shot", format: "markdown", ready: true, dispatched: true, running: false, progress: 100, targets: 4_655, created: 860, updated: 700, dispatched_ago: Some(720) },
    // state: done
    CampaignRow { name: "September product update", subject: "What's new in September: dashboards, reimagined", tag: "product-updates", kind: "one-shot", format: "markdown", ready: true, dispatched: true, running: false, progress: 100, targets: 4_390, created: 1_600, updated: 1_430, dispatched_ago: Some(1_450) },
    // state: done
    CampaignRow { name: "Webhooks v2 migration notice", subject: "Action required: move to webhooks v2 by December 1", tag: "announcements", kind: "one-shot", format: "html", ready: true, dispatched: true, running: false, progress: 100, targets: 1_208, created: 1_100, updated: 950, dispatched_ago: Some(960) },
    // state: done
    CampaignRow { name: "SSO now available on Pro", subject: "Single sign-on is now included in Pro", tag: "product-updates", kind: "one-shot", format: "markdown", ready: true, dispatched: true, running: false, progress: 100, targets: 2_730, created: 2_200, updated: 2_050, dispatched_ago: Some(2_060) },
];

fn campaigns() -> Vec<Value> {
    CAMPAIGNS
        .iter()
        .enumerate()
        .map(|(index, row)| campaign_value(index, row))
        .collect()
}

fn campaign_value(index: usize, row: &CampaignRow) -> Value {
    let mut rng = sub_rng(CAMPAIGN_SALT, index);
    let reached = u64::from(row.targets) * u64::from(row.progress) / 100;
    // Some addresses bounce, so a finished campaign reaches slightly fewer than it targets.
    let reached = if row.progress == 100 {
        reached * 97 / 100
    } else {
        reached
    };
    let mut campaign = json!({
        "campaign_id": uuid(&mut rng),
        "type": row.kind,
        "format": row.format,
        "name": row.name,
        "subject": row.subject,
        "tag": row.tag,
        "ready": row.ready,
        "dispatched": row.dispatched,
        "running": row.running,
        "progress": row.progress,
        "targets": row.targets,
        "reached": reached,
        "created_at": DEMO_NOW_MS - row.created * HOUR,
        "updated_at": DEMO_NOW_MS - row.updated * HOUR,
    });
    if let Some(hours) = row.dispatched_ago {
        campaign["dispatched_at"] = json!(DEMO_NOW_MS - hours * HOUR);
    }
    campaign
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_messages(seed: &Seed) -> impl Iterator<Item = &Value> {
        seed.messages.values().flatten()
    }

    fn text_of(message: &Value) -> String {
        match &message["content"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }

    #[test]
    fn same_input_same_output() {
        assert_eq!(
            generate(DEFAULT_CONVERSATIONS),
            generate(DEFAULT_CONVERSATIONS)
        );
        assert_eq!(generate(7), generate(7));
    }

    #[test]
    fn default_size_counts() {
        let seed = generate(DEFAULT_CONVERSATIONS);
        assert_eq!(seed.conversations.len(), 180);
        assert_eq!(seed.messages.len(), 180);
        assert_eq!(seed.contacts.len(), 121);
        assert!(seed.campaigns.len() >= 14);
        assert!((4..=5).contains(&seed.operators.len()));
        assert!(seed.messages.values().all(|m| !m.is_empty()));
    }

    #[test]
    fn tiny_and_large_sizes_keep_their_promises() {
        let one = generate(0);
        assert_eq!(one.conversations.len(), 1);
        assert_eq!(one.conversations[0]["session_id"], REFERENCE_SESSION_ID);
        let large = generate(600);
        assert_eq!(large.contacts.len(), 301);
    }

    #[test]
    fn reference_conversation_comes_first() {
        let seed = generate(DEFAULT_CONVERSATIONS);
        let first = &seed.conversations[0];
        assert_eq!(first["session_id"], REFERENCE_SESSION_ID);
        assert_eq!(first["state"], "unresolved");
        assert_eq!(first["status"], 1);
        assert_eq!(first["assigned"]["user_id"], OPERATORS[0].user_id);
        let thread = &seed.messages[REFERENCE_SESSION_ID];
        assert!((4..=12).contains(&thread.len()));
        assert!(thread.iter().any(|m| m["from"] == "user"));
        assert!(thread
            .iter()
            .any(|m| m["from"] == "operator" && m["type"] == "text"));
        assert_eq!(thread.last().map(|m| &m["from"]), Some(&json!("user")));
    }

    #[test]
    fn ids_and_fingerprints_are_unique() {
        let seed = generate(DEFAULT_CONVERSATIONS);
        let mut fingerprints = HashSet::new();
        for message in all_messages(&seed) {
            let fingerprint = message["fingerprint"].as_i64().unwrap();
            assert!(fingerprint > i64::from(i32::MAX));
            assert!(fingerprints.insert(fingerprint), "duplicate {fingerprint}");
        }
        let sessions: HashSet<&str> = seed
            .conversations
            .iter()
            .map(|c| c["session_id"].as_str().unwrap())
            .collect();
        assert_eq!(sessions.len(), seed.conversations.len());
        for session in sessions.iter().filter(|s| **s != REFERENCE_SESSION_ID) {
            let uuid = session.strip_prefix("session_").unwrap();
            assert_eq!(uuid.len(), 36);
            assert_eq!(&uuid[14..15], "4");
            assert!(uuid
                .chars()
                .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        }
        let emails: HashSet<&str> = seed
            .contacts
            .iter()
            .map(|c| c["email"].as_str().unwrap())
            .collect();
        assert_eq!(emails.len(), seed.contacts.len());
        let people: HashSet<&str> = seed
            .contacts
            .iter()
            .map(|c| c["people_id"].as_str().unwrap())
            .collect();
        assert_eq!(people.len(), seed.contacts.len());
    }

    #[test]
    fn timestamps_ascend_and_stay_in_the_past() {
        let seed = generate(DEFAULT_CONVERSATIONS);
        for conversation in &seed.conversations {
            let session = conversation["session_id"].as_str().unwrap();
            let thread = &seed.messages[session];
            let stamps: Vec<i64> = thread
                .iter()
                .map(|m| m["timestamp"].as_i64().unwrap())
                .collect();
            assert!(
                stamps.windows(2).all(|w| w[0] < w[1]),
                "{session} not ascending"
            );
            let created = conversation["created_at"].as_i64().unwrap();
            let updated = conversation["updated_at"].as_i64().unwrap();
            assert!(created <= stamps[0] && stamps[stamps.len() - 1] <= updated);
            assert!(updated < DEMO_NOW_MS);
            assert!(thread
                .iter()
                .all(|m| m["session_id"] == session && m["website_id"] == DEMO_WEBSITE_ID));
        }
        let updated: Vec<i64> = seed
            .conversations
            .iter()
            .map(|c| c["updated_at"].as_i64().unwrap())
            .collect();
        assert!(updated.windows(2).all(|w| w[0] >= w[1]), "not newest first");
        let created: Vec<i64> = seed
            .contacts
            .iter()
            .map(|c| c["created_at"].as_i64().unwrap())
            .collect();
        assert!(
            created.windows(2).all(|w| w[0] >= w[1]),
            "contacts not newest first"
        );
    }

    #[test]
    fn every_state_appears_plenty() {
        let seed = generate(DEFAULT_CONVERSATIONS);
        for (state, status) in [("pending", 0), ("unresolved", 1), ("resolved", 2)] {
            let matching: Vec<&Value> = seed
                .conversations
                .iter()
                .filter(|c| c["state"] == state)
                .collect();
            assert!(matching.len() >= 25, "{state}: {}", matching.len());
            assert!(matching.iter().all(|c| c["status"] == status));
            let waiting = matching
                .iter()
                .filter(|c| c.get("waiting_since").is_some())
                .count();
            assert_eq!(waiting == matching.len(), state != "resolved");
        }
        let blocked = seed
            .conversations
            .iter()
            .filter(|c| c["is_blocked"] == true)
            .count();
        assert!((1..=5).contains(&blocked));
        let unassigned = seed
            .conversations
            .iter()
            .filter(|c| c.get("assigned").is_none())
            .count();
        assert!(unassigned >= 10);
        let origins: HashSet<&str> = seed
            .conversations
            .iter()
            .map(|c| c["meta"]["origin"].as_str().unwrap())
            .collect();
        assert_eq!(origins, HashSet::from(["chat", "email"]));
    }

    /// The state the client derives from the flags.
    fn campaign_state(c: &Value) -> &'static str {
        let progress = c["progress"].as_u64().unwrap();
        match (
            c["ready"] == true,
            c["dispatched"] == true,
            c["running"] == true,
        ) {
            (false, false, false) if progress == 0 => "draft",
            (true, false, false) => "ready",
            (_, true, true) if (1..100).contains(&progress) => "sending",
            (_, true, false) if (1..100).contains(&progress) => "paused",
            (_, true, false) if progress == 100 => "done",
            _ => "inconsistent",
        }
    }

    #[test]
    fn campaigns_cover_every_state() {
        let seed = generate(1);
        for state in ["draft", "ready", "sending", "paused", "done"] {
            let count = seed
                .campaigns
                .iter()
                .filter(|c| campaign_state(c) == state)
                .count();
            assert!(count >= 2, "{state}: {count}");
        }
        for campaign in &seed.campaigns {
            assert_ne!(campaign_state(campaign), "inconsistent", "{campaign}");
            assert_eq!(
                campaign.get("dispatched_at").is_some(),
                campaign["dispatched"] == true
            );
            assert!(campaign.get("state").is_none());
            assert!(campaign["reached"].as_u64() <= campaign["targets"].as_u64());
            assert!(["one-shot", "automated"].contains(&campaign["type"].as_str().unwrap()));
        }
    }

    #[test]
    fn long_threads_exercise_paging() {
        let seed = generate(DEFAULT_CONVERSATIONS);
        let lengths: Vec<usize> = seed.messages.values().map(Vec::len).collect();
        let long = lengths.iter().filter(|&&n| n >= 45).count();
        assert!(long >= 10, "only {long} long threads");
        assert!(lengths.iter().all(|&n| n <= 130));
        assert!(lengths.iter().all(|&n| n <= 16 || n >= 45));
        let short = lengths.iter().filter(|&&n| (2..=12).contains(&n)).count();
        assert!(
            short * 10 >= lengths.len() * 7,
            "{short} of {}",
            lengths.len()
        );
    }

    #[test]
    fn message_mix_is_realistic() {
        let seed = generate(DEFAULT_CONVERSATIONS);
        let total = all_messages(&seed).count() as f64;
        let share =
            |kind: &str| all_messages(&seed).filter(|m| m["type"] == kind).count() as f64 / total;
        let others = share("animation") + share("picker");
        assert!(
            (0.05..0.11).contains(&share("note")),
            "notes {}",
            share("note")
        );
        assert!(
            (0.04..0.08).contains(&share("file")),
            "files {}",
            share("file")
        );
        assert!((0.008..0.025).contains(&others), "others {others}");
        assert!(share("picker") > 0.0 && share("animation") > 0.0);
        for message in all_messages(&seed) {
            match message["type"].as_str().unwrap() {
                "note" => assert_eq!(message["from"], "operator"),
                "file" => {
                    let mime = message["content"]["type"].as_str().unwrap();
                    assert!(
                        ["application/pdf", "image/png", "image/jpeg", "text/csv"].contains(&mime)
                    );
                    assert!(message["content"]["url"]
                        .as_str()
                        .unwrap()
                        .starts_with("https://storage.crisp.chat/"));
                }
                "animation" => assert_eq!(message["content"]["type"], "image/gif"),
                "picker" => assert_eq!(
                    message["content"]["choices"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|c| c["selected"] == true)
                        .count(),
                    1
                ),
                kind => assert_eq!(kind, "text"),
            }
        }
    }

    #[test]
    fn threads_are_varied_and_fully_rendered() {
        let seed = generate(DEFAULT_CONVERSATIONS);
        let texts: Vec<String> = all_messages(&seed).map(text_of).collect();
        for text in &texts {
            assert!(
                !text.contains('{') && !text.contains('}') || text.starts_with('{'),
                "unrendered: {text}"
            );
        }
        let distinct: HashSet<&String> = texts.iter().collect();
        assert!(
            distinct.len() * 2 > texts.len(),
            "{} distinct of {}",
            distinct.len(),
            texts.len()
        );
        let topics: HashSet<&str> = seed
            .conversations
            .iter()
            .map(|c| c["topic"].as_str().unwrap())
            .collect();
        assert!(topics.len() >= 24, "{} topics", topics.len());
        for conversation in &seed.conversations {
            let subject = conversation["meta"]["subject"].as_str().unwrap();
            assert!(!subject.contains('{'), "{subject}");
        }
    }

    #[test]
    fn every_template_renders() {
        let contacts = build_contacts(40);
        let mut texts: Vec<&str> = Vec::new();
        let scripts = TOPICS
            .iter()
            .chain([&REFERENCE_TOPIC, &SPAM_TOPIC])
            .map(|t| t.script)
            .chain(INCIDENTS.iter().map(|i| i.opening))
            .chain(INCIDENT_PHASES.iter().flat_map(|p| p.iter().copied()))
            .chain(INCIDENT_WRAP_UP.iter().copied());
        for script in scripts {
            for step in script {
                match step {
                    Step::Say(_, variants) => texts.extend(variants.iter()),
                    Step::File(_, name, _) => texts.push(name),
                }
            }
        }
        for topic in TOPICS.iter().chain(INCIDENTS.iter().map(|i| &i.topic)) {
            texts.extend(topic.subjects.iter().chain(topic.notes));
        }
        for pool in [
            OP_GREETINGS,
            USER_THANKS,
            OP_SIGNOFFS,
            USER_NUDGES,
            PENDING_FOLLOW_UPS,
            EMAIL_USER_SIGNATURES,
            GENERIC_NOTES,
            INCIDENT_STILL_OPEN,
        ]
        .into_iter()
        .chain(INCIDENT_PHASE_NOTES)
        {
            texts.extend(pool);
        }
        texts.push(REFERENCE_NOTE);
        for contact in &contacts {
            let mut details = Details::new(contact.seed, contact, 0, 1, DEMO_NOW_MS, &DEVICES[0]);
            for text in &texts {
                let rendered = details.render(text);
                assert!(
                    !rendered.contains('{') && !rendered.contains('}'),
                    "{text} -> {rendered}"
                );
            }
        }
    }

    #[test]
    fn scripts_are_well_formed() {
        for topic in TOPICS {
            assert!(
                topic.script.first().is_some_and(|s| s.who() == Who::User),
                "{}",
                topic.title
            );
            assert!(
                topic.script.iter().any(|s| s.who() == Who::Op),
                "{}",
                topic.title
            );
            assert!(!topic.subjects.is_empty());
            for step in topic.script {
                if let Step::Say(_, variants) = step {
                    assert!(!variants.is_empty());
                }
            }
        }
        assert!(TOPICS.len() >= 30);
    }

    #[test]
    fn placeholder_contact_is_last() {
        let seed = generate(DEFAULT_CONVERSATIONS);
        let placeholders: Vec<&Value> = seed
            .contacts
            .iter()
            .filter(|c| c["email"] == PLACEHOLDER_EMAIL)
            .collect();
        assert_eq!(placeholders.len(), 1);
        assert_eq!(PLACEHOLDER_EMAIL, "[email protected]");
        let last = seed.contacts.last().unwrap();
        assert_eq!(last["email"], PLACEHOLDER_EMAIL);
        assert_eq!(last["person"]["nickname"], "Reference Example");
    }

    #[test]
    fn contacts_are_complete_and_diverse() {
        let seed = generate(DEFAULT_CONVERSATIONS);
        for contact in &seed.contacts {
            let email = contact["email"].as_str().unwrap();
            assert!(!email.is_empty());
            assert!(!contact["person"]["nickname"].as_str().unwrap().is_empty());
            if email != PLACEHOLDER_EMAIL {
                assert!(
                    email.is_ascii() && email.contains('@') && !email.contains(' '),
                    "{email}"
                );
            }
        }
        assert!(
            seed.contacts
                .iter()
                .filter(|c| c["email"].as_str().unwrap().contains('+'))
                .count()
                >= 2
        );
        let with_company = seed
            .contacts
            .iter()
            .filter(|c| c.get("company").is_some())
            .count();
        assert!(with_company * 10 >= seed.contacts.len() * 7);
        let countries: HashSet<&str> = seed
            .contacts
            .iter()
            .map(|c| c["person"]["geolocation"]["country"].as_str().unwrap())
            .collect();
        assert!(countries.len() >= 20, "{} countries", countries.len());
        let companies: HashSet<&str> = seed
            .contacts
            .iter()
            .filter_map(|c| c["company"]["name"].as_str())
            .collect();
        assert!(companies.len() >= 30);
    }

    #[test]
    fn conversations_point_at_existing_people_and_operators() {
        let seed = generate(DEFAULT_CONVERSATIONS);
        let people: HashSet<&str> = seed
            .contacts
            .iter()
            .map(|c| c["people_id"].as_str().unwrap())
            .collect();
        let operators: HashSet<&str> = seed
            .operators
            .iter()
            .map(|o| o["user_id"].as_str().unwrap())
            .collect();
        assert!(operators.contains(seed.operator["user_id"].as_str().unwrap()));
        for conversation in &seed.conversations {
            assert!(people.contains(conversation["people_id"].as_str().unwrap()));
            if let Some(assigned) = conversation.get("assigned") {
                assert!(operators.contains(assigned["user_id"].as_str().unwrap()));
            }
            let contact = seed
                .contacts
                .iter()
                .find(|c| c["people_id"] == conversation["people_id"])
                .unwrap();
            assert_eq!(contact["email"], conversation["meta"]["email"]);
            assert!(contact["created_at"].as_i64() < conversation["created_at"].as_i64());
        }
        for message in all_messages(&seed)
            .filter(|m| m["from"] == "operator" && m["user"]["type"] == "participant")
        {
            assert!(operators.contains(message["user"]["user_id"].as_str().unwrap()));
        }
    }

    #[test]
    fn previews_match_the_last_visible_message() {
        let seed = generate(DEFAULT_CONVERSATIONS);
        for conversation in &seed.conversations {
            let thread = &seed.messages[conversation["session_id"].as_str().unwrap()];
            let last = thread.iter().rev().find(|m| m["type"] != "note").unwrap();
            assert_eq!(
                conversation["preview_message"]["fingerprint"],
                last["fingerprint"]
            );
            let expected = match last["type"].as_str().unwrap() {
                "file" => format!("[file] {}", last["content"]["name"].as_str().unwrap()),
                "text" => excerpt(last["content"].as_str().unwrap()),
                _ => conversation["last_message"].as_str().unwrap().to_owned(),
            };
            assert_eq!(conversation["last_message"], expected.as_str());
        }
    }

    #[test]
    fn dates_and_formats() {
        assert_eq!(civil_date(DEMO_NOW_MS), (2026, 11, 1));
        assert_eq!(iso_date(0), "1970-01-01");
        assert_eq!(spoken_date(DEMO_NOW_MS - 18 * DAY), "October 14");
        assert_eq!(money(118_800, Currency::Usd), "$1,188.00");
        assert_eq!(money(4_905, Currency::Eur), "€49.05");
        assert_eq!(ascii_slug("Łukasz Wójcik-O'Connor"), "lukaszwojcikoconnor");
        assert_eq!(excerpt("short"), "short");
        assert_eq!(excerpt(&"é".repeat(200)).chars().count(), 121);
    }

    #[test]
    fn ten_thousand_conversations_generate() {
        // Timing belongs to the benchmarks (bench/); this only checks the shape at scale.
        let seed = generate(10_000);
        assert_eq!(seed.conversations.len(), 10_000);
        assert_eq!(seed.messages.len(), 10_000);
        assert_eq!(seed.contacts.len(), 5_001);
    }
}
