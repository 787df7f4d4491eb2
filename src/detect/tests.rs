//! Detector tests on small texts: each names the context it covers.

use super::*;

const KEY: &str = "87d2a967-5c23-46d6-aa8a-22f20b4755f9"; // lushaguard:allow (test key)

fn detector() -> Detector {
    Detector::new(RuleSet::builtin().unwrap())
}

fn detect_at(text: &str, path: &str) -> Vec<Detection> {
    detector().detect(&Document::whole(text.as_bytes(), path))
}

fn confidence(text: &str, path: &str) -> Option<Confidence> {
    detect_at(text, path)
        .into_iter()
        .map(|d| d.confidence)
        .max()
}

fn at_least_medium(text: &str, path: &str) -> bool {
    confidence(text, path).is_some_and(|c| c >= Confidence::Medium)
}

#[test]
fn dotenv_assignment_is_high_with_location_and_reasons() {
    let text = format!("PORT=8080\n# Lusha\nLUSHA_API_KEY={KEY}\n");
    let found = detect_at(&text, ".env");
    assert_eq!(found.len(), 1);
    let d = &found[0];
    assert_eq!(d.confidence, Confidence::High);
    assert_eq!((d.line, d.column, d.end_column), (3, 15, 51));
    assert_eq!(d.secret.expose(), KEY);
    assert!(
        d.reasons.iter().any(|r| r.text.contains("LUSHA_API_KEY")),
        "{:?}",
        d.reasons
    );
    assert!(!d.snippet.contains(KEY));
    assert_eq!(
        d.snippet,
        "LUSHA_API_KEY=87d2****-****-****-****-********55f9"
    );
}

#[test]
fn upper_case_keys_are_canonicalised() {
    let found = detect_at(&format!("LUSHA_API_KEY={}", KEY.to_uppercase()), ".env");
    assert_eq!(found[0].secret.expose(), KEY);
}

#[test]
fn header_sent_to_the_lusha_host() {
    assert!(at_least_medium(
        &format!("curl -H 'api_key: {KEY}' https://api.lusha.com/v2/person"),
        "docs/README.md"
    ));
    assert!(at_least_medium(
        &format!("req.Header.Set(\"api_key\", \"{KEY}\")\n// https://api.lusha.com\n"),
        "main.go"
    ));
}

#[test]
fn nested_under_a_lusha_parent_five_lines_up() {
    let text = format!("lusha:\n  client:\n    connect-timeout: 5s\n    read-timeout: 15s\n    retries: 3\n  api-key: {KEY}\n");
    assert!(at_least_medium(&text, "application.yml"));
}

#[test]
fn ini_section_and_toml_table() {
    assert!(at_least_medium(
        &format!("[lusha]\ntimeout = 20\nretries = 2\napikey = {KEY}\n"),
        "settings.ini"
    ));
    assert!(at_least_medium(
        &format!("[enrichment.lusha]\nenabled = true\nrpm = 25\n\napi_key = \"{KEY}\"\n"),
        "config/enrichment.toml"
    ));
}

#[test]
fn generic_name_in_a_lusha_named_file() {
    assert!(at_least_medium(
        &format!("api.key={KEY}\n"),
        "config/lusha.properties"
    ));
    assert!(!at_least_medium(
        &format!("api.key={KEY}\n"),
        "config/app.properties"
    ));
}

#[test]
fn base64_in_a_kubernetes_secret() {
    let text = "kind: Secret\nmetadata:\n  name: prospector\ndata:\n  LUSHA_API_KEY: MDk4ZDQ1ZTctMzgxZC00OWJhLThmODAtZjhmZTdkMTk4ODcz\n"; // lushaguard:allow (test key)
    let found = detect_at(text, "k8s/secret.yaml");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].encoding, Some(Encoding::Base64));
    assert_eq!(
        found[0].secret.expose(),
        "098d45e7-381d-49ba-8f80-f8fe7d198873"
    );
    assert_eq!(found[0].line, 5);
    assert!(found[0].confidence >= Confidence::Medium);
    assert!(
        !found[0].snippet.contains("MDk4ZDQ1ZTctMzgx"),
        "{}",
        found[0].snippet
    );
}

#[test]
fn base64_of_a_whole_env_file_keeps_the_inner_name() {
    use base64::Engine;
    let env = format!("DEBUG=1\nLUSHA_API_KEY={KEY}\n");
    let blob = base64::engine::general_purpose::STANDARD.encode(env);
    let found = detect_at(&format!("  .env: {blob}\n"), "secret.yaml");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].confidence, Confidence::High);
}

#[test]
fn json_escaped_and_url_encoded() {
    assert!(at_least_medium(
        &format!("\"SecretString\": \"{{\\\"LUSHA_API_KEY\\\":\\\"{KEY}\\\"}}\""),
        "describe-secret.json"
    ));
    assert!(at_least_medium(
        &format!("GET /relay?target=https%3A%2F%2Fapi.lusha.com%2Fv2&hdr=api_key%3A{KEY} HTTP/1.1"),
        "access.log"
    ));
}

#[test]
fn minified_line_reports_the_right_column() {
    let prefix = "x".repeat(6000);
    let text = format!(
        "{prefix};fetch(\"https://api.lusha.com/v2/person\",{{headers:{{api_key:\"{KEY}\"}}}});"
    );
    let found = detect_at(&text, "static/js/main.js");
    assert_eq!(found.len(), 1);
    let col = text.find(KEY).unwrap() as u64 + 1;
    assert_eq!(found[0].column, col);
    assert!(
        found[0].snippet.chars().count() < 260,
        "{}",
        found[0].snippet
    );
}

#[test]
fn placeholders_and_ids_are_not_reported() {
    for text in [
        "LUSHA_API_KEY=00000000-0000-0000-0000-000000000000".to_string(),
        "LUSHA_API_KEY=ffffffff-ffff-4fff-bfff-ffffffffffff".to_string(),
        format!("LUSHA_DEFAULT_LIST_ID={KEY}"),
        format!("lusha requestId={KEY}"),
        format!("<ProjectGuid>{{{KEY}}}</ProjectGuid>"),
    ] {
        assert_eq!(confidence(&text, "x.env"), None, "{text}");
    }
}

#[test]
fn other_services_credentials_are_not_reported() {
    let text = format!("HUBSPOT_API_KEY={KEY}\nLUSHA_API_KEY=\n");
    assert!(!at_least_medium(&text, "crm/.env"));
    let text = format!("{{\n  \"hubspot\": {{\n    \"apiKey\": \"{KEY}\"\n  }},\n  \"lusha\": {{\n    \"apiKey\": \"${{LUSHA_API_KEY}}\"\n  }}\n}}\n");
    assert!(!at_least_medium(&text, "providers.json"));
}

#[test]
fn a_credential_without_lusha_context_is_at_most_low() {
    assert_eq!(
        confidence(&format!("API_KEY={KEY}"), ".env"),
        Some(Confidence::Low)
    );
    assert_eq!(
        confidence(&format!("X-API-Key: {KEY}"), "notes.md"),
        Some(Confidence::Low)
    );
}

#[test]
fn a_bare_uuid_is_not_reported() {
    assert_eq!(confidence(KEY, "ids.txt"), None);
}

#[test]
fn owned_range_and_window_offsets() {
    let text = format!("LUSHA_API_KEY={KEY}\nLUSHA_API_KEY={KEY}\n");
    let second = text.rfind("LUSHA").unwrap();
    let doc = Document {
        text: text.as_bytes(),
        path: ".env",
        first_line: 41,
        first_column: 0,
        owned: second..text.len(),
        encoding: None,
        file: None,
    };
    let found = detector().detect(&doc);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].line, 42);
}

#[test]
fn every_secret_shape_on_the_line_is_masked_in_snippets() {
    let other = "c9d1b940-4df4-4273-abf4-f0ba0398b2fb"; // lushaguard:allow (test key)
    let text = format!("LUSHA_API_KEY={KEY} request_id={other}");
    let found = detect_at(&text, ".env");
    assert_eq!(found.len(), 1);
    assert!(!found[0].snippet.contains(other) && !found[0].snippet.contains(KEY));
}

#[test]
fn a_file_in_several_windows_is_scored_with_the_whole_files_facts() {
    let d = detector();
    // The service is named only in the first window, which has no candidate; the key, under a
    // generic name, is in the second.
    let first = "# lusha enrichment worker\nPORT=8080\n";
    let second = format!("API_KEY={KEY}\n");
    let window = |text: &'static str, first_line: u64| Document {
        text: text.as_bytes(),
        path: "worker.env",
        first_line,
        first_column: 0,
        owned: 0..text.len(),
        encoding: None,
        file: None,
    };
    let second: &'static str = Box::leak(second.into_boxed_str());
    let mut scan = d.start_file("worker.env", false);
    scan.window(&window(first, 1));
    scan.window(&window(second, 3));
    let found = scan.finish();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].line, 3);
    assert!(
        found[0]
            .reasons
            .iter()
            .any(|r| r.kind == ReasonKind::KeywordInFile),
        "{:#?}",
        found[0].reasons
    );
    // The same windows, each on its own, know nothing of the other.
    assert!(d.detect(&window(second, 3)).iter().all(|d| d
        .reasons
        .iter()
        .all(|r| r.kind != ReasonKind::KeywordInFile)));
}

#[test]
fn regression_a_service_name_in_a_sql_tuple_is_a_column_not_the_name() {
    let text = format!(
        "INSERT INTO lists (id, workspace_id, provider, list_id) VALUES\n  ('7103b1e2-5f0a-4c8e-9d1b-2a3c4d5e6f70', 'lusha', '{KEY}');\n"
    );
    assert_eq!(confidence(&text, "db/seed.sql"), None);
    // A credential name in the same position still names the value.
    let text = format!(
        "  ('0ce638fa-8825-43e6-94ed-f5d97f8095db', 'lusha', 'api_key', '{KEY}', now());\n"
    ); // lushaguard:allow (test key)
    assert!(at_least_medium(&text, "db/seed.sql"));
}

#[test]
fn regression_a_quoted_project_path_is_not_a_name() {
    let text = format!(
        "Project(\"{{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}}\") = \"Acme.LushaSync\", \"src\\Acme.LushaSync\\Acme.LushaSync.csproj\", \"{{{}}}\"\n",
        KEY.to_uppercase()
    );
    assert_eq!(confidence(&text, "Acme.sln"), None);
}

#[test]
fn a_uuid_in_no_credential_slot_is_not_reported_at_any_level() {
    let text = format!("# lusha\ncontact_id,company\n{KEY},Acme\n");
    assert_eq!(confidence(&text, "exports/lusha-contacts.csv"), None);
}

/// A second random UUID, for decoys next to `KEY`.
const OTHER: &str = "16e3d67a-4755-4915-88af-3b6bc6e7588c"; // lushaguard:allow (test key)

fn reasons(text: &str, path: &str) -> Vec<Reason> {
    detect_at(text, path)
        .into_iter()
        .max_by_key(|d| d.score)
        .map(|d| d.reasons)
        .unwrap_or_default()
}

#[test]
fn http_client_options_in_code_are_not_another_services_block() {
    for (text, path) in [
        (
            format!("export const api = axios.create({{\n  baseURL: \"https://api.lusha.com\",\n  headers: {{ \"api_key\": \"{KEY}\" }},\n}});\n"),
            "src/api.ts",
        ),
        (
            format!("const u = `${{BASE}}/v2/person`; // api.lusha.com\nconst res = await fetch(u, {{\n  method: \"GET\",\n  headers: {{ api_key: \"{KEY}\" }},\n}});\n"),
            "src/lookup.js",
        ),
        (
            format!("export const p = got.extend({{\n  prefixUrl: \"https://api.lusha.com/v2\",\n  headers: {{ \"api_key\": \"{KEY}\" }},\n}});\n"),
            "src/http.mjs",
        ),
        (
            format!("const (\n\tbaseURL = \"https://api.lusha.com\"\n\tdefaultAPIKey = \"{KEY}\"\n)\n"),
            "config.go",
        ),
        (
            format!("const url = \"https://api.lusha.com/v2/person\"\n\nfunc f() {{\n\tresp, err := c.Do(req)\n\tif err != nil {{\n\t\treq.Header.Set(\"api_key\", \"{KEY}\")\n\t}}\n}}\n"),
            "request.go",
        ),
        (
            format!("class Settings:\n    \"\"\"Worker defaults (api.lusha.com).\"\"\"\n\n    api_key = \"{KEY}\"\n"),
            "settings.py",
        ),
        (
            format!("curl_setopt_array($ch, [\n    CURLOPT_HTTPHEADER => [\n        'api_key: {KEY}',\n    ],\n]); // https://api.lusha.com\n"),
            "lookup.php",
        ),
        (
            format!("api.get(\"v2/person\", {{ // api.lusha.com\n  searchParams: {{\n    email,\n    api_key: \"{KEY}\",\n  }},\n}});\n"),
            "person.ts",
        ),
    ] {
        assert!(at_least_medium(&text, path), "{text}\n{:#?}", reasons(&text, path));
    }
}

#[test]
fn configuration_blocks_of_other_services_still_count_against() {
    for (text, path) in [
        (
            format!("lusha:\n  api_key: ${{LUSHA_API_KEY}}\nhubspot:\n  api_key: {KEY}\n"),
            "config/app.yaml",
        ),
        (
            format!("[lusha]\nurl = \"https://api.lusha.com\"\n\n[pagerduty]\napi_key = \"{KEY}\"\n"),
            "config/app.toml",
        ),
        (
            format!("# Lusha settings live in LushaSettings.\nclass HubspotSettings:\n    api_key = \"{KEY}\"\n"),
            "settings.py",
        ),
        (
            format!("export const clients = {{\n  lusha: {{ apiKey: process.env.LUSHA_API_KEY }},\n  hubspot: {{\n    apiKey: '{KEY}',\n  }},\n}};\n"),
            "clients.js",
        ),
        (
            format!("<config>\n  <lusha><url>https://api.lusha.com</url></lusha>\n  <segment>\n    <api_key>{KEY}</api_key>\n  </segment>\n</config>\n"),
            "app.xml",
        ),
    ] {
        assert!(!at_least_medium(&text, path), "{text}\n{:#?}", reasons(&text, path));
    }
}

#[test]
fn names_pair_with_values_across_structure() {
    key_found_decoy_not(&[
        (
            format!("<dict>\n\t<key>InstallationID</key>\n\t<string>{OTHER}</string>\n\t<key>LushaAPIKey</key>\n\t<string>{KEY}</string>\n</dict>\n"),
            "Info.plist",
        ),
        (
            format!("<header>\n  <name>api_key</name>\n  <value>{KEY}</value>\n</header>\n<endpoint>https://api.lusha.com</endpoint>\n"),
            "connectors.xml",
        ),
        (
            format!("\"url\": \"https://api.lusha.com/v2/person\",\n\"headers\": [\n  {{ \"value\": \"{KEY}\", \"name\": \"api_key\" }}\n]\n"),
            "capture.har",
        ),
        (
            format!("INSERT INTO credentials\n  (id, provider, api_key)\nVALUES\n  ('{OTHER}',\n   'lusha', '{KEY}');\n"),
            "seed.sql",
        ),
        (
            format!("provider,api_key,owner\nlusha,{KEY},data-eng\n"),
            "exports/keys.csv",
        ),
        (
            format!("service\tcredential\nlusha\t{KEY}\n"),
            "inventory.tsv",
        ),
        (
            format!("<resources>\n  <string name=\"install_id\">{OTHER}</string>\n  <string name=\"lusha_api_key\">{KEY}</string>\n</resources>\n"),
            "res/values/secrets.xml",
        ),
        (
            format!("UPDATE settings SET value = '{KEY}' WHERE key = 'lusha_api_key';\n"),
            "migrate.sql",
        ),
        (
            format!("request.setValue(\"{KEY}\", forHTTPHeaderField: \"api_key\") // https://api.lusha.com\n"),
            "Api.swift",
        ),
        (
            format!("resource \"aws_ssm_parameter\" \"k\" {{\n  name  = \"/prod/lusha/api_key\"\n  value = \"{KEY}\"\n}}\n"),
            "ssm.tf",
        ),
    ]);
}

#[test]
fn ids_and_other_services_in_rows_are_not_reported() {
    for (text, path) in [
        format!("INSERT INTO t (id, provider, api_key) VALUES\n  ('{OTHER}', 'lusha', NULL),\n  ('{OTHER}', 'hubspot', '{KEY}');\n"),
        format!("provider,api_key\nlusha,\nhubspot,{KEY}\n"),
        format!("contact_id,source\n{KEY},lusha\n"),
        format!("UPDATE settings SET value = '{KEY}' WHERE key = 'lusha_default_list_id';\n"),
    ]
    .into_iter()
    .zip(["a.sql", "keys.csv", "contacts.csv", "m.sql"])
    {
        assert!(!at_least_medium(&text, path), "{text}\n{:#?}", reasons(&text, path));
    }
}

#[test]
fn a_variable_used_as_the_header_or_passed_to_the_client_is_a_credential() {
    for (text, path) in [
        (
            format!("token = \"{KEY}\"\n\ndef f(e):\n    return requests.get(f\"{{BASE}}/v2/person\", headers={{'api_key': token}})\n# api.lusha.com\n"),
            "refresh.py",
        ),
        (
            format!("var fallback = \"{KEY}\"\n\nfunc u() string {{\n\tq.Set(\"api_key\", fallback)\n\treturn \"https://api.lusha.com/v2/person?\" + q.Encode()\n}}\n"),
            "query.go",
        ),
        (
            format!("$auth = '{KEY}';\n$ch = curl_init('https://api.lusha.com/v2/person');\ncurl_setopt($ch, CURLOPT_HTTPHEADER, ['api_key: ' . $auth]);\n"),
            "lookup.php",
        ),
        (
            format!("v=\"{KEY}\"\ncurl -sS https://api.lusha.com/v3/account/usage -H \"api_key: ${{v}}\"\n"),
            "usage.sh",
        ),
        (
            format!("from lusha_sdk import LushaClient\n\nDEV_DEFAULT = \"{KEY}\"\n\nclient = LushaClient(DEV_DEFAULT, timeout=15)\n"),
            "enrich.py",
        ),
        (
            format!("class Enricher\n  def initialize\n    @client = Lusha::Client.new(\"{KEY}\")\n  end\nend\n"),
            "enricher.rb",
        ),
    ] {
        assert!(at_least_medium(&text, path), "{text}\n{:#?}", reasons(&text, path));
    }
}

#[test]
fn data_flow_needs_the_header_the_client_and_the_right_host() {
    for (text, path) in [
        // An id that travels in another header.
        format!("request_id = \"{KEY}\"\nrequests.get(\"https://api.lusha.com/v2/person\", headers={{'api_key': token, 'X-Request-Id': request_id}})\n"),
        // A value that is not the key argument of the client.
        format!("DEFAULT = \"{KEY}\"\nclient = LushaClient(api_key=os.environ['LUSHA_API_KEY'], default_list=DEFAULT)\n"),
        // The header sent to another service, in a file that mentions Lusha elsewhere.
        format!("\"\"\"Weather (Lusha enrichment lives in enrich.py).\"\"\"\nk = \"{KEY}\"\nrequests.get(\"https://api.weather-vendor.io/v1\", params={{\"api_key\": k}})\n"),
    ]
    .into_iter()
    .zip(["a.py", "b.py", "c.py"])
    {
        assert!(!at_least_medium(&text, path), "{text}\n{:#?}", reasons(&text, path));
    }
}

#[test]
fn typed_reasons_carry_kind_weight_and_line() {
    let text = format!(
        "# api.lusha.com\nk = \"{KEY}\"\n\n\n\nrequests.get(URL, headers={{\"api_key\": k}})\n"
    );
    let r = reasons(&text, "job.py");
    let flow = r
        .iter()
        .find(|r| r.kind == ReasonKind::DataFlow)
        .expect("a data flow reason");
    assert_eq!(flow.line, Some(6), "the line of the use");
    assert_eq!(flow.weight, 35);
    assert_eq!(flow.to_string(), format!("+ {}", flow.text));
    assert!(flow.text.contains("line 6"), "{}", flow.text);
    let file = r
        .iter()
        .find(|r| r.kind == ReasonKind::KeywordInFile)
        .unwrap();
    assert_eq!(file.line, None);
    let json = serde_json::to_value(flow).unwrap();
    assert_eq!(json["kind"], "data_flow");
    assert_eq!(json["line"], 6);
}

#[test]
fn a_request_to_another_host_counts_against_a_generic_header() {
    let text = format!("// Lusha: see lusha.ts\nexport const partner = axios.create({{\n  baseURL: \"https://api.partner-crm.io/v1\",\n  headers: {{ api_key: \"{KEY}\" }},\n}});\n");
    assert!(!at_least_medium(&text, "clients.ts"));
    let r = reasons(&text, "clients.ts");
    assert!(
        r.iter().any(|r| r.kind == ReasonKind::Host && r.weight < 0),
        "{r:#?}"
    );
}

#[test]
fn regression_a_value_that_keys_a_block_is_not_a_credential() {
    for text in [
        format!("lusha:\n  {KEY}:\n    label: production\n"),
        format!("{{\n  \"lusha\": {{\n    \"{KEY}\": {{ \"main\": [] }}\n  }}\n}}\n"),
    ] {
        assert_eq!(confidence(&text, "connections.yaml"), None, "{text}");
    }
}

#[test]
fn regression_a_header_in_a_file_whose_api_is_another_services() {
    let text = format!("\"\"\"Forecasts (Lusha enrichment lives in enrich.py).\"\"\"\nBASE = \"https://api.weather-vendor.io/v1\"\n\n\ndef make_session():\n    s = requests.Session()\n    s.headers.update({{\"api_key\": \"{KEY}\"}})\n    return s\n");
    assert!(
        !at_least_medium(&text, "weather.py"),
        "{:#?}",
        reasons(&text, "weather.py")
    );
    // The same session for the Lusha API is a finding.
    let text = text.replace("api.weather-vendor.io", "api.lusha.com");
    assert!(
        at_least_medium(&text, "weather.py"),
        "{:#?}",
        reasons(&text, "weather.py")
    );
}

/// `KEY` must be found at medium or above in each text and `OTHER`, a decoy in the same shape,
/// not at all.
fn key_found_decoy_not(cases: &[(String, &str)]) {
    for (text, path) in cases {
        let found = detect_at(text, path);
        assert!(
            found
                .iter()
                .any(|d| d.secret.expose() == KEY && d.confidence >= Confidence::Medium),
            "{text}\n{found:#?}"
        );
        assert!(
            !found.iter().any(|d| d.secret.expose() == OTHER),
            "{text}\n{found:#?}"
        );
    }
}

#[test]
fn a_fallback_in_a_call_takes_the_name_it_stands_in_for() {
    key_found_decoy_not(&[
        (
            format!("TOKEN = Variable.get(\"LUSHA_TOKEN\", default_var=\"{KEY}\")\nRUN = Variable.get(\"run_id\", default_var=\"{OTHER}\")\n"),
            "dags/sync.py",
        ),
        (
            format!("let k = env::var(\"LUSHA_KEY\").unwrap_or_else(|_| \"{KEY}\".to_string());\nlet r = env::var(\"REQUEST_ID\").unwrap_or(\"{OTHER}\");\n"),
            "src/main.rs",
        ),
        (
            format!("let k = std::env::var(\"LUSHA_KEY\")\n    .ok()\n    .unwrap_or_else(|| String::from(\"{KEY}\"));\nlet h = std::env::var(\"SLACK_TOKEN\").unwrap_or(\"{OTHER}\".into());\n"),
            "src/config.rs",
        ),
        (
            format!("String k = Optional.ofNullable(System.getenv(\"LUSHA_APIKEY\")).orElse(\"{KEY}\");\nString t = Optional.ofNullable(System.getenv(\"TRACE_ID\")).orElse(\"{OTHER}\");\n"),
            "Config.java",
        ),
        (
            format!("var k = config.GetValue<string>(\"Lusha:ApiKey\", defaultValue: \"{KEY}\");\nvar t = config.GetValue<string>(\"Tenant:Id\", defaultValue: \"{OTHER}\");\n"),
            "Startup.cs",
        ),
    ]);
    let r = reasons(
        &format!("let k = env::var(\"LUSHA_KEY\").unwrap_or(\"{KEY}\");\n"),
        "src/main.rs",
    );
    assert!(
        r.iter()
            .any(|r| r.kind == ReasonKind::Name && r.text.contains("fallback for `LUSHA_KEY`")),
        "{r:#?}"
    );
}

#[test]
fn a_command_line_flag_takes_its_name_from_the_command() {
    key_found_decoy_not(&[
        (
            format!("gh secret set LUSHA_KEY --repo acme/web --body '{KEY}'\ngh secret set SENTRY_TOKEN --body '{OTHER}'\n"),
            "ops/secrets.sh",
        ),
        (
            format!("aws ssm put-parameter \\\n  --type SecureString \\\n  --value \"{KEY}\" \\\n  --name /prod/lusha/token\naws ssm put-parameter --name /prod/app/tenant-id --value {OTHER}\n"),
            "deploy.sh",
        ),
        (
            format!("aws secretsmanager put-secret-value --secret-id=prod/lusha/credentials --secret-string={KEY}\n"),
            "Makefile",
        ),
    ]);
}

#[test]
fn document_labels_name_the_values_they_introduce() {
    key_found_decoy_not(&[
        (
            format!("# Notes\n\n- **Lusha API key (staging)**: `{KEY}`\n- Sentry project id (web): `{OTHER}`\n"),
            "docs/notes.md",
        ),
        (
            format!("| Name | Value |\n|---|---|\n| Lusha API token | `{KEY}` |\n| Lusha list id | `{OTHER}` |\n"),
            "docs/notes.md",
        ),
        (
            format!("<table>\n  <tr><td>Lusha secret key</td><td>{KEY}</td></tr>\n  <tr><td>Lusha workspace id</td><td>{OTHER}</td></tr>\n</table>\n"),
            "export/creds.html",
        ),
        (
            format!("<dl><dt>Lusha API key</dt><dd>{KEY}</dd><dt>Tenant id</dt><dd>{OTHER}</dd></dl>\n"),
            "export/creds.html",
        ),
    ]);
}

#[test]
fn a_value_one_level_below_its_name() {
    key_found_decoy_not(&[
        (
            format!("{{\n  \"request\": {{\n    \"url\": \"https://api.lusha.com/v2/company\",\n    \"headers\": {{\n      \"X-Request-Id\": {{ \"equalTo\": \"{OTHER}\" }},\n      \"api_key\": {{ \"equalTo\": \"{KEY}\" }}\n    }}\n  }}\n}}\n"),
            "mappings/company.json",
        ),
        (
            format!("- request:\n    uri: https://api.lusha.com/v2/company\n    headers:\n      api_key:\n      - {KEY}\n  response:\n    headers:\n      X-Request-Id:\n      - {OTHER}\n"),
            "cassettes/company.yml",
        ),
        (
            format!("headers:\n  Accept:\n  - '*/*'\n  api_key:\n  - {KEY}\n  X-Trace-Id:\n  - {OTHER}\nuri: https://api.lusha.com/v2/person\n"),
            "cassettes/person.yaml",
        ),
    ]);
}

#[test]
fn a_value_word_parent_is_not_another_services_block() {
    // A notebook's stream output is a `text` list: `text` is a value, not a service.
    let text = format!("{{\n \"outputs\": [\n  {{\n   \"name\": \"stdout\",\n   \"text\": [\n    \"GET https://api.lusha.com/v2/person\\n\",\n    \"{{'api_key': '{KEY}'}}\\n\"\n   ]\n  }}\n ]\n}}\n");
    let r = reasons(&text, "notebooks/usage.ipynb");
    assert!(at_least_medium(&text, "notebooks/usage.ipynb"), "{r:#?}");
    assert!(!r.iter().any(|r| r.weight < 0), "{r:#?}");
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    /// Pieces of the structures the detector parses (SQL, CSV, XML, calls, URLs, blocks), so
    /// random inputs reach the deep paths.
    fn structured_bytes() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            any::<u8>().prop_map(|b| vec![b]),
            Just(KEY.as_bytes().to_vec()),
            Just(b"-4".to_vec()),
            Just(b"INSERT INTO t (id, api_key) VALUES ".to_vec()),
            Just(b"('".to_vec()),
            Just(b"', '".to_vec()),
            Just(b"')".to_vec()),
            Just(b"provider,api_key\n".to_vec()),
            Just(b"<key>LushaAPIKey</key>".to_vec()),
            Just(b"<string>".to_vec()),
            Just(b"<value name=\"api_key\">".to_vec()),
            Just(b"headers={'api_key': token}".to_vec()),
            Just(b"token = \"".to_vec()),
            Just(b"LushaClient(".to_vec()),
            Just(b"Lusha::Client.new(".to_vec()),
            Just(b"https://api.other.io/".to_vec()),
            Just(b"https://api.lusha.com".to_vec()),
            Just(b"hubspot: {".to_vec()),
            Just(b"\": {".to_vec()),
            Just(b"[section]\n".to_vec()),
            Just(b"\n    ".to_vec()),
            Just(b"\t".to_vec()),
            Just(b"=>".to_vec()),
            Just(b"%3A".to_vec()),
            Just(b"\\\"".to_vec()),
            Just(vec![0xE2, 0x82]),
            Just(b" --value ".to_vec()),
            Just(b"--name=/prod/lusha/key \\\n".to_vec()),
            Just(b"gh secret set LUSHA_KEY --body '".to_vec()),
            Just(b".unwrap_or_else(|_| \"".to_vec()),
            Just(b"\n  .ok()\n  .orElse(".to_vec()),
            Just(b"<tr><td>Lusha API key</td><td>".to_vec()),
            Just(b"</td>".to_vec()),
            Just(b"Lusha API key (prod): `".to_vec()),
            Just(b"| Lusha API key | ".to_vec()),
            Just(b"headers:\n- ".to_vec()),
            Just(b"{\"equalTo\": \"".to_vec()),
        ];
        prop::collection::vec(piece, 0..160).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn structured_bytes_never_panic_the_detector(
            data in structured_bytes(),
            path in prop_oneof![
                Just("a.csv"), Just("a.sql"), Just("a.go"), Just("a.json"), Just("a.xml"),
                Just("a.md"), Just("a.tsv"), Just("lusha/a.py"),
            ],
            start in 0usize..64,
        ) {
            let d = detector();
            let _ = d.detect(&Document::whole(&data, path));
            // As several windows of one file, split anywhere.
            let cut = start.min(data.len());
            let mut scan = d.start_file(path, false);
            scan.window(&Document { owned: 0..cut, ..Document::whole(&data[..cut], path) });
            scan.window(&Document {
                owned: 0..data.len() - cut,
                first_line: 2,
                first_column: 1,
                ..Document::whole(&data[cut..], path)
            });
            let _ = scan.finish();
        }
    }
}
