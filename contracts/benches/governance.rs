//! Cost of the contract governance engine on a generated ~1 MB contract:
//! the diff of two versions (loaded, and end to end from bytes), the lint
//! (of the YAML, and of the same contract as JSON), the load alone, and the
//! diff of deeply self-referencing schemas of growing size (the time must
//! grow with the number of schemas, not explode).
//!
//! Run with `cargo bench -p canongate-contracts --bench governance`. The
//! allocator is mimalloc, as in the `canongate` binary.

use std::fmt::Write as _;
use std::hint::black_box;

use canongate_contracts::diff::{DiffOptions, diff};
use canongate_contracts::lint::lint_bytes;
use canongate_contracts::report::DiffReport;
use canongate_contracts::{Contract, load_bytes};
use criterion::{Criterion, criterion_group, criterion_main};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const HEAD: &str = "openapi: 3.0.3\ninfo:\n  title: Generated\n  description: A generated contract for benchmarks.\n  version: VERSION\n  contact: {name: Bench, email: bench@retail.test}\nx-canongate:\n  domain: order\n  owner-team: commerce\n  system-of-record: erp\nsecurity:\n  - oauth2: [read]\ntags:\n  - name: Resources\n";

/// A contract with `resources` resources of four operations each; `revision`
/// 1 changes every seventh resource (a parameter made required, an enum
/// value and a property added, a length bound lowered).
fn contract(resources: usize, revision: u32) -> String {
    let mut text = HEAD.replace("VERSION", if revision == 0 { "1.0.0" } else { "2.0.0" });
    text.push_str("paths:\n");
    for index in 0..resources {
        let changed = revision == 1 && index % 7 == 0;
        let required = if changed { "true" } else { "false" };
        let _ = write!(
            text,
            "  /resource-{index}s:
    get:
      operationId: listResource{index}s
      description: Lists resources {index}.
      tags: [Resources]
      parameters:
        - $ref: '#/components/parameters/Cursor'
        - name: status
          in: query
          required: {required}
          schema: {{$ref: '#/components/schemas/Status{index}'}}
      responses:
        '200':
          description: A page.
          content:
            application/json:
              schema:
                type: object
                required: [items]
                properties:
                  items: {{type: array, items: {{$ref: '#/components/schemas/Resource{index}'}}}}
                  next_cursor: {{type: string}}
        '400': {{$ref: '#/components/responses/Problem'}}
    post:
      operationId: createResource{index}
      description: Creates a resource {index}.
      tags: [Resources]
      security:
        - oauth2: [write]
      requestBody:
        required: true
        content:
          application/json:
            schema: {{$ref: '#/components/schemas/Resource{index}'}}
      responses:
        '201':
          description: Created.
          headers:
            Location: {{schema: {{type: string}}}}
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/Resource{index}'}}
        '422': {{$ref: '#/components/responses/Problem'}}
  /resource-{index}s/{{resourceId}}:
    parameters:
      - name: resourceId
        in: path
        required: true
        schema: {{type: string, format: uuid}}
    get:
      operationId: getResource{index}
      description: Returns one resource {index}.
      tags: [Resources]
      responses:
        '200':
          description: The resource.
          headers:
            ETag: {{schema: {{type: string}}}}
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/Resource{index}'}}
        '404': {{$ref: '#/components/responses/Problem'}}
    patch:
      operationId: updateResource{index}
      description: Updates a resource {index}.
      tags: [Resources]
      parameters:
        - name: If-Match
          in: header
          required: true
          schema: {{type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {{$ref: '#/components/schemas/Resource{index}'}}
      responses:
        '200':
          description: Updated.
        '412': {{$ref: '#/components/responses/Problem'}}
"
        );
    }
    text.push_str(
        "components:
  securitySchemes:
    oauth2:
      type: oauth2
      flows:
        clientCredentials:
          tokenUrl: https://auth.retail.test/token
          scopes: {read: Read., write: Write.}
  parameters:
    Cursor: {name: cursor, in: query, schema: {type: string}}
  responses:
    Problem:
      description: A problem.
      content:
        application/problem+json:
          schema: {$ref: '#/components/schemas/Problem'}
  schemas:
    Problem:
      type: object
      properties:
        type: {type: string, format: uri}
        title: {type: string}
        status: {type: integer, minimum: 100, maximum: 599}
    Base:
      type: object
      required: [id]
      properties:
        id: {type: string, format: uuid, readOnly: true}
        created_at: {type: string, format: date-time, readOnly: true}
        updated_at: {type: string, format: date-time, readOnly: true}
",
    );
    for index in 0..resources {
        let changed = revision == 1 && index % 7 == 0;
        let extra_status = if changed { ", archived" } else { "" };
        let extra_property = if changed {
            "            channel: {type: string, enum: [web, store]}\n"
        } else {
            ""
        };
        let name_length = if changed { 60 } else { 80 };
        let _ = write!(
            text,
            "    Status{index}:
      type: string
      enum: [draft, active, retired{extra_status}]
    Resource{index}:
      allOf:
        - $ref: '#/components/schemas/Base'
        - type: object
          required: [name, status]
          properties:
            name: {{type: string, maxLength: {name_length}}}
            status: {{$ref: '#/components/schemas/Status{index}'}}
            quantity: {{type: integer, minimum: 0, maximum: 100000}}
            price: {{type: number, multipleOf: 0.01}}
            tags: {{type: array, items: {{type: string, pattern: '^[a-z-]+$'}}, maxItems: 20, uniqueItems: true}}
            parent: {{$ref: '#/components/schemas/Resource{index}'}}
            lines:
              type: array
              items:
                type: object
                required: [sku, quantity]
                properties:
                  sku: {{type: string, minLength: 1, maxLength: 64}}
                  quantity: {{type: integer, minimum: 1}}
                  note: {{type: string, nullable: true}}
            payment:
              oneOf:
                - type: object
                  title: Card
                  properties: {{last4: {{type: string, pattern: '^[0-9]{{4}}$'}}}}
                - type: object
                  title: Transfer
                  properties: {{iban: {{type: string, maxLength: 34}}}}
            metadata: {{type: object, additionalProperties: {{type: string}}}}
{extra_property}"
        );
    }
    text
}

/// `count` schemas, each referring to itself, to the next, back to the
/// first and, through `oneOf` alternatives, to the next again; revision 1
/// changes a bound in the last schema, reachable from every other.
fn recursive(count: usize, revision: u32) -> String {
    let mut text = HEAD.replace("VERSION", "1.0.0");
    text.push_str("paths:\n  /nodes:\n    post:\n      operationId: createNode\n      requestBody:\n        required: true\n        content:\n          application/json:\n            schema: {$ref: '#/components/schemas/S0'}\n      responses:\n        '201':\n          description: Created.\n          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/S0'}\ncomponents:\n  securitySchemes:\n    oauth2:\n      type: oauth2\n      flows: {clientCredentials: {tokenUrl: 'https://auth.retail.test/token', scopes: {read: Read.}}}\n  schemas:\n");
    for index in 0..count {
        let next = (index + 1) % count;
        let bound = if revision == 1 && index == count - 1 {
            10
        } else {
            20
        };
        let _ = writeln!(
            text,
            "    S{index}:\n      type: object\n      properties:\n        value: {{type: string, maxLength: {bound}}}\n        self: {{$ref: '#/components/schemas/S{index}'}}\n        next: {{$ref: '#/components/schemas/S{next}'}}\n        first: {{$ref: '#/components/schemas/S0'}}\n        either:\n          oneOf:\n            - {{type: object, properties: {{node: {{$ref: '#/components/schemas/S{next}'}}}}}}\n            - {{type: array, items: {{$ref: '#/components/schemas/S{index}'}}}}"
        );
    }
    text
}

fn load(text: &str) -> Contract {
    load_bytes("bench.yaml", text.as_bytes()).unwrap_or_else(|error| panic!("{error}"))
}

fn bench_large(c: &mut Criterion) {
    let (old_text, new_text) = (contract(300, 0), contract(300, 1));
    eprintln!(
        "generated contract: {} bytes (old), {} bytes (new)",
        old_text.len(),
        new_text.len()
    );
    let (old, new) = (load(&old_text), load(&new_text));
    let options = DiffOptions::default();
    let changes = diff(&old, &new, &options);
    eprintln!(
        "{} operations, {} changes",
        new.operations.len(),
        changes.len()
    );
    assert!(!changes.is_empty());
    let report = lint_bytes("bench.yaml", new_text.as_bytes());
    assert!(!report.has_errors(), "{}", report.render_text());
    let json_text = serde_json::to_string_pretty(&new.document).expect("json");
    eprintln!("the same contract as JSON: {} bytes", json_text.len());

    let mut group = c.benchmark_group("governance_1mb");
    group.sample_size(20);
    group.bench_function("diff_loaded", |b| {
        b.iter(|| diff(black_box(&old), black_box(&new), &options))
    });
    group.bench_function("diff_from_bytes", |b| {
        b.iter(|| {
            DiffReport::from_bytes(
                ("old.yaml", black_box(old_text.as_bytes())),
                ("new.yaml", black_box(new_text.as_bytes())),
                &options,
                true,
            )
        })
    });
    group.bench_function("lint", |b| {
        b.iter(|| lint_bytes("bench.yaml", black_box(new_text.as_bytes())))
    });
    group.bench_function("lint_json", |b| {
        b.iter(|| lint_bytes("bench.json", black_box(json_text.as_bytes())))
    });
    group.bench_function("load", |b| {
        b.iter(|| load_bytes("bench.yaml", black_box(new_text.as_bytes())))
    });
    group.finish();
}

fn bench_recursive(c: &mut Criterion) {
    let mut group = c.benchmark_group("governance_recursive");
    for count in [16, 64, 256] {
        let (old, new) = (load(&recursive(count, 0)), load(&recursive(count, 1)));
        let options = DiffOptions::default();
        let changes = diff(&old, &new, &options);
        assert_eq!(
            changes.len(),
            2,
            "one change in the request, one in the response"
        );
        group.bench_function(format!("diff_{count}_schemas"), |b| {
            b.iter(|| diff(black_box(&old), black_box(&new), &options))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_large, bench_recursive);
criterion_main!(benches);
