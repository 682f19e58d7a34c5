// Row hashes and schema changes (seal.ts, SCHEMA CHANGES): the columns every row hash covers are the
// record tables' columns when sealing began; a column added since must be marked `added` (it then
// counts in a row's hash only where it is set), or every row stored before it would verify as
// modified. The lists below are those columns, kept by hand: the hashes of sealed rows depend on them.
// The stores' own tests add a column and verify (duckdb/integrity.test.ts, clickhouse/integrity.fixture.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recordTables } from '../../schema/tables.js';
import { addedColumns, baseColumns } from './seal.js';

const BASE: Record<string, string> = {
  tracking_events: 'file_id line ts server event source role message_id internal_id sender recipients recipient_count bytes directionality subject client_ip',
  iis_requests:
    'file_id line ts server site method uri_stem uri_query port username client_ip user_agent status substatus win32_status sc_bytes cs_bytes time_taken ' +
    'eas_cmd eas_user eas_device_id eas_device_type eas_protocol eas_backend eas_log eas_status eas_errors eas_sync_type eas_folder_types eas_heartbeat ' +
    'eas_client_adds eas_client_changes eas_client_deletes eas_client_fetches eas_server_adds eas_server_changes eas_server_deletes eas_policy_key ' +
    'eas_policy_ack eas_attachments eas_attachment_bytes eas_sharepoint_docs eas_unc_files eas_oof eas_device_model eas_device_os eas_front_end server_ip host',
  calendar_versions:
    'file_id line mailbox mailbox_address mailbox_from meeting_id modified item_version item_class log_time created trigger_action client_info ' +
    'client_intent responsible_user from_address sent_representing sent_representing_name subject start_time end_time location attendees ' +
    'appointment_state response_type meeting_request_type item_type recurring cancelled exception sequence folder extra',
  presence_samples: 'file_id line user username ts ts_s state raw source pushed interval_s',
  presence_spans: 'file_id line user start_s seconds state',
  presence_heartbeats: 'file_id line ts ts_s event interval_s users',
  presence_daily: 'file_id line user day tz state seconds',
  probe_results: 'file_id line ts host service instance url status failure duration_ms connect_ms tls_ms banner_ms cert_days kind detail transcript',
  presence_hours:
    'file_id line user hour_s online invisible busy be_right_back idle away on_the_phone out_to_lunch offline unknown first_online_s last_online_s',
  windows_events:
    'file_id line ts computer channel event_record_id provider provider_guid event_source event_id qualifiers version level task opcode keywords ' +
    'user_id process_id thread_id activity_id data_count data_values data_names user_data binary_data recovered message',
  rule_alerts: 'file_id line ts rule_set rule source record_time record_file_id record_line record_file record matches actions',
  rules_cursor: 'file_id line ts rule_set state',
  presence_days:
    'file_id line user day_s online invisible busy be_right_back idle away on_the_phone out_to_lunch offline unknown first_online_s last_online_s ' +
    'tail_s tail_state tail_interval_s',
  presence_marks: 'file_id line kind chunk lo_s hi_s',
};

test('the row hash covers the columns each record table had when sealing began; every column added since is marked `added`', () => {
  for (const t of Object.values(recordTables)) {
    // a table made since has no rows sealed before it: its columns are all its base (add it here)
    const base = BASE[t.name];
    if (base === undefined) continue;
    assert.deepEqual(
      baseColumns(t).map((c) => c.name),
      base.split(' '),
      `${t.name}: a column added to a record table needs \`added: '<release>'\` in schema/tables.ts, or every sealed row would verify as modified; a column is never removed or reordered`,
    );
    for (const c of addedColumns(t)) assert.ok(!base.split(' ').includes(c.name), `${t.name}.${c.name} was there when sealing began: it is not added`);
  }
});
