// .proto files a registry schema may import without naming them as references. Confluent's
// serializers leave "known types" out of a schema's references when they register it
// (skip.known.types, on by default in the Java serializer): google/protobuf/*, google/type/*,
// confluent/meta.proto and confluent/type/decimal.proto. protobufjs bundles part of
// google/protobuf (as JSON, or as .proto files beside its code); the google/type and confluent
// files are declared here, with their published package, message and field names and numbers.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const proto3 = (pkg: string, body: string, imports: string[] = []): string => `syntax = "proto3";\npackage ${pkg};\n${imports.map((i) => `import "${i}";\n`).join('')}${body}\n`;

const GOOGLE_TYPE: Record<string, string> = {
  'google/type/date.proto': proto3('google.type', 'message Date { int32 year = 1; int32 month = 2; int32 day = 3; }'),
  'google/type/timeofday.proto': proto3('google.type', 'message TimeOfDay { int32 hours = 1; int32 minutes = 2; int32 seconds = 3; int32 nanos = 4; }'),
  'google/type/money.proto': proto3('google.type', 'message Money { string currency_code = 1; int64 units = 2; int32 nanos = 3; }'),
  'google/type/latlng.proto': proto3('google.type', 'message LatLng { double latitude = 1; double longitude = 2; }'),
  'google/type/decimal.proto': proto3('google.type', 'message Decimal { string value = 1; }'),
  'google/type/fraction.proto': proto3('google.type', 'message Fraction { int64 numerator = 1; int64 denominator = 2; }'),
  'google/type/quaternion.proto': proto3('google.type', 'message Quaternion { double x = 1; double y = 2; double z = 3; double w = 4; }'),
  'google/type/expr.proto': proto3('google.type', 'message Expr { string expression = 1; string title = 2; string description = 3; string location = 4; }'),
  'google/type/localized_text.proto': proto3('google.type', 'message LocalizedText { string text = 1; string language_code = 2; }'),
  'google/type/interval.proto': proto3('google.type', 'message Interval { google.protobuf.Timestamp start_time = 1; google.protobuf.Timestamp end_time = 2; }', ['google/protobuf/timestamp.proto']),
  'google/type/datetime.proto': proto3(
    'google.type',
    'message DateTime { int32 year = 1; int32 month = 2; int32 day = 3; int32 hours = 4; int32 minutes = 5; int32 seconds = 6; int32 nanos = 7;' +
      ' oneof time_offset { google.protobuf.Duration utc_offset = 8; TimeZone time_zone = 9; } }\n' +
      'message TimeZone { string id = 1; string version = 2; }',
    ['google/protobuf/duration.proto'],
  ),
  'google/type/color.proto': proto3('google.type', 'message Color { float red = 1; float green = 2; float blue = 3; google.protobuf.FloatValue alpha = 4; }', ['google/protobuf/wrappers.proto']),
  'google/type/postal_address.proto': proto3(
    'google.type',
    'message PostalAddress { int32 revision = 1; string region_code = 2; string language_code = 3; string postal_code = 4;' +
      ' string sorting_code = 5; string administrative_area = 6; string locality = 7; string sublocality = 8;' +
      ' repeated string address_lines = 9; repeated string recipients = 10; string organization = 11; }',
  ),
  'google/type/phone_number.proto': proto3(
    'google.type',
    'message PhoneNumber { message ShortCode { string region_code = 1; string number = 2; }' + ' oneof kind { string e164_number = 1; ShortCode short_code = 2; } string extension = 3; }',
  ),
  'google/type/dayofweek.proto': proto3('google.type', 'enum DayOfWeek { DAY_OF_WEEK_UNSPECIFIED = 0; MONDAY = 1; TUESDAY = 2; WEDNESDAY = 3; THURSDAY = 4; FRIDAY = 5; SATURDAY = 6; SUNDAY = 7; }'),
  'google/type/month.proto': proto3(
    'google.type',
    'enum Month { MONTH_UNSPECIFIED = 0; JANUARY = 1; FEBRUARY = 2; MARCH = 3; APRIL = 4; MAY = 5; JUNE = 6; JULY = 7;' + ' AUGUST = 8; SEPTEMBER = 9; OCTOBER = 10; NOVEMBER = 11; DECEMBER = 12; }',
  ),
  'google/type/calendar_period.proto': proto3('google.type', 'enum CalendarPeriod { CALENDAR_PERIOD_UNSPECIFIED = 0; DAY = 1; WEEK = 2; FORTNIGHT = 3; MONTH = 4; QUARTER = 5; HALF = 6; YEAR = 7; }'),
};

const CONFLUENT: Record<string, string> = {
  'confluent/type/decimal.proto': proto3('confluent.type', 'message Decimal { bytes value = 1; uint32 precision = 2; int32 scale = 3; }'),
  'confluent/meta.proto': proto3(
    'confluent',
    'message Meta { string doc = 1; map<string, string> params = 2; repeated string tags = 3; }\n' +
      ['FileOptions file_meta', 'MessageOptions message_meta', 'FieldOptions field_meta', 'EnumOptions enum_meta', 'EnumValueOptions enum_value_meta']
        .map((x) => {
          const [options, name] = x.split(' ');
          return `extend google.protobuf.${options} { Meta ${name} = 1088; }`;
        })
        .join('\n'),
    ['google/protobuf/descriptor.proto'],
  ),
};

/** google/protobuf files protobufjs ships as .proto beside its code (not in protobuf.common). */
const BUNDLED = new Set(['google/protobuf/descriptor.proto', 'google/protobuf/api.proto', 'google/protobuf/type.proto', 'google/protobuf/source_context.proto']);

let bundledDir: string | undefined;

/** The text of a known .proto file that protobuf.common does not have, or undefined. */
export function knownProtoFile(name: string): string | undefined {
  const own = GOOGLE_TYPE[name] ?? CONFLUENT[name];
  if (own !== undefined) return own;
  if (!BUNDLED.has(name)) return undefined;
  bundledDir ??= path.join(path.dirname(createRequire(import.meta.url).resolve('protobufjs')), 'google', 'protobuf');
  return fs.readFileSync(path.join(bundledDir, path.basename(name)), 'utf8');
}
