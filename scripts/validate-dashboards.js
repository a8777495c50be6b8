#!/usr/bin/env node
// Validates every Dashboard Studio view of the app (default/data/ui/views/*.xml)
// with Splunk's own validator: DashboardValidator from @splunk/dashboard-validation
// against the schema of @splunk/dashboard-definition, extended (as Dashboard
// Studio extends it with its presets) with the option schemas of
// @splunk/visualization-schemas for each visualization type the app uses, plus
// the validator package's structure checks (every layout item and global input
// defined, no duplicate tokens). `make test` runs it after `npm ci`.
//
// The views keep the legacy layout ({type, structure, globalInputs}), which
// Splunk Enterprise 9.0 reads and newer Dashboard Studio migrates to tabs on
// load with migrateToTabsLayout (@splunk/dashboard-utils); the schema describes
// the migrated form, so the script migrates the same way before validating.
//
// Usage: node scripts/validate-dashboards.js [--self-test]
// (VALIDATE_DASHBOARDS_VERBOSE=1 prints what the self-test found.)
// --self-test also checks that a broken copy of each view is rejected, so a
// validator that accepts anything cannot pass unnoticed.
'use strict';

const fs = require('fs');
const path = require('path');
const {
    DashboardValidator,
    checkDuplicateTokens,
    checkVisualizationsInStructure,
    checkInputsInStructure,
} = require('@splunk/dashboard-validation');
const { createComponentDict, createSchemaBasedOnDicts } = require('@splunk/dashboard-definition');
const { migrateToTabsLayout } = require('@splunk/dashboard-utils');
const vizSchemas = require('@splunk/visualization-schemas');

// The visualization types the app's views may use, with their option
// schemas. A view using another type fails until it is added here.
const vizOptionSchemas = {
    'splunk.bar': vizSchemas.barOptionsSchema,
    'splunk.column': vizSchemas.columnOptionsSchema,
    'splunk.line': vizSchemas.lineOptionsSchema,
    'splunk.markdown': vizSchemas.markdownOptionsSchema,
    'splunk.singlevalue': vizSchemas.singleValueOptionsSchema,
    'splunk.table': vizSchemas.tableOptionsSchema,
};
const schema = createSchemaBasedOnDicts({
    visualizationDict: createComponentDict(
        Object.fromEntries(Object.entries(vizOptionSchemas).map(([type, s]) => [type, { schema: s }])),
        { allowTokenCoercion: true },
    ),
});

const viewsDir = path.join(__dirname, '..', 'default', 'data', 'ui', 'views');
// A view's file is small; a bound keeps a corrupt file from eating memory.
const maxViewBytes = 1 << 20;

// definitionOf returns the JSON definition of a version="2" view, or throws.
function definitionOf(xml) {
    const root = /^\s*<dashboard\b([^>]*)>/.exec(xml);
    if (!root) throw new Error('the root element is not <dashboard>');
    if (!/\bversion="2"/.test(root[1])) throw new Error('<dashboard> lacks version="2" (Dashboard Studio)');
    const cdata = /<definition>\s*<!\[CDATA\[([\s\S]*?)\]\]>\s*<\/definition>/.exec(xml);
    if (!cdata) throw new Error('no <definition><![CDATA[...]]></definition>');
    return JSON.parse(cdata[1]);
}

// problems returns the validator's findings for one definition (empty when valid).
function problems(definition) {
    const found = [];
    const migrated = migrateToTabsLayout({ definition });
    const candidate = migrated && migrated.definition ? migrated.definition : definition;
    const validator = new DashboardValidator();
    const schemaError = validator.setSchema(schema);
    if (schemaError) throw new Error(`the dashboard schema does not compile: ${schemaError.message}`);
    const errors = validator.validate(candidate);
    if (errors) {
        for (const e of Array.isArray(errors) ? errors : [errors]) {
            found.push(`${e.instancePath || ''} ${e.message || JSON.stringify(e)}`.trim());
        }
    }
    for (const [id, viz] of Object.entries(candidate.visualizations || {})) {
        if (!Object.prototype.hasOwnProperty.call(vizOptionSchemas, viz && viz.type)) {
            found.push(`/visualizations/${id}: type ${JSON.stringify(viz && viz.type)} has no option schema here`);
        }
    }
    for (const check of [checkVisualizationsInStructure, checkInputsInStructure, checkDuplicateTokens]) {
        const result = check(candidate);
        if (result && (!Array.isArray(result) || result.length > 0)) {
            found.push(`${check.name}: ${JSON.stringify(result)}`);
        }
    }
    return found;
}

function main() {
    const selfTest = process.argv.includes('--self-test');
    const files = fs.readdirSync(viewsDir).filter((f) => f.endsWith('.xml')).sort();
    if (files.length === 0) {
        console.error(`validate-dashboards: no views in ${viewsDir}`);
        return 1;
    }
    let failed = 0;
    for (const file of files) {
        const full = path.join(viewsDir, file);
        try {
            if (fs.statSync(full).size > maxViewBytes) throw new Error(`larger than ${maxViewBytes} bytes`);
            const definition = definitionOf(fs.readFileSync(full, 'utf8'));
            const found = problems(definition);
            if (found.length > 0) {
                failed++;
                console.error(`${file}: invalid Dashboard Studio definition:\n  ${found.join('\n  ')}`);
                continue;
            }
            if (selfTest) {
                // Three mistakes the validator must each report: a number as
                // a type, a layout item with no visualization, a table
                // option of the wrong type.
                const broken = JSON.parse(JSON.stringify(definition));
                const [first, second] = Object.keys(broken.visualizations);
                broken.visualizations[first].type = 7;
                broken.visualizations[second].type = 'splunk.table';
                broken.visualizations[second].options = { count: 'many' };
                broken.layout.structure.push({ item: 'viz_missing', type: 'block', position: { x: 0, y: 0, w: 10, h: 10 } });
                const brokenFound = problems(broken).join('\n');
                if (process.env.VALIDATE_DASHBOARDS_VERBOSE) console.log(brokenFound);
                const missed = [`/visualizations/${first}/type`, 'viz_missing', `/visualizations/${second}/options/count`]
                    .filter((want) => !brokenFound.includes(want));
                if (missed.length > 0) {
                    failed++;
                    console.error(`${file}: self-test: the validator missed ${missed.join(', ')} in a broken copy`);
                    continue;
                }
            }
            console.log(`${file}: valid (${Object.keys(definition.visualizations).length} visualizations, ${Object.keys(definition.dataSources).length} data sources)`);
        } catch (err) {
            failed++;
            console.error(`${file}: ${err.message}`);
        }
    }
    return failed === 0 ? 0 : 1;
}

process.exitCode = main();
