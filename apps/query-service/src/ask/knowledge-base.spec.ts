import { SCHEMA_DDL } from '@app/platform';
import { askPolicy, buildPrompt, describeSchema, knowledgeBase, schemaTables } from './knowledge-base';

describe('knowledge base', () => {
  it('is built from the schema DDL: every FlughafenDB table, its columns, keys and foreign keys', () => {
    const tables = schemaTables();
    expect(tables.map((t) => t.name).sort()).toEqual(
      [
        'airline',
        'airplane',
        'airplane_type',
        'airport',
        'airport_geo',
        'airport_reachable',
        'booking',
        'employee',
        'flight',
        'flight_log',
        'flightschedule',
        'passenger',
        'passengerdetails',
        'weatherdata',
      ].sort(),
    );
    const booking = tables.find((t) => t.name === 'booking')!;
    expect(booking.columns.map((c) => c.name)).toEqual([
      'booking_id',
      'flight_id',
      'seat',
      'passenger_id',
      'price',
    ]);
    expect(booking.columns.find((c) => c.name === 'price')).toMatchObject({
      type: 'decimal(10,2)',
      nullable: false,
    });
    expect(booking.primaryKey).toEqual(['booking_id']);
    expect(booking.foreignKeys).toContainEqual({
      columns: ['flight_id'],
      references: { table: 'flight', columns: ['flight_id'] },
    });
    expect(booking.indexes).toContainEqual({
      name: 'seatplan_unq',
      columns: ['flight_id', 'seat'],
      unique: true,
    });
    const flight = tables.find((t) => t.name === 'flight')!;
    expect(flight.columns.find((c) => c.name === 'from')).toMatchObject({
      note: expect.stringMatching(/quote/),
    });
    // A table added to the DDL is in the knowledge base only once it has a description: counted from the DDL.
    expect(SCHEMA_DDL.mysql.length).toBe(tables.length);
  });

  it('leaves the restricted columns out of the schema and the allow-list', () => {
    const employee = schemaTables().find((t) => t.name === 'employee')!;
    expect(employee.columns.map((c) => c.name)).not.toContain('password');
    const policy = askPolicy();
    expect(policy.tables.get('employee')!.has('password')).toBe(false);
    expect([...policy.restricted.get('employee')!]).toEqual(['username', 'password']);
    expect(policy.tables.has('event_outbox')).toBe(false);
  });

  it('gives the model the dialect, the schema, the project’s queries, examples and the question', () => {
    const kb = knowledgeBase('postgres');
    const { system, prompt } = buildPrompt(kb, 'flights from JFK to LAX', 1000);
    expect(system).toMatch(/one PostgreSQL SELECT/);
    expect(system).toMatch(/double quotes/);
    expect(prompt).toMatch(/^Dialect: PostgreSQL$/m);
    expect(prompt).toContain(describeSchema(kb));
    expect(prompt).toMatch(/-- flight details \(3 joins\)\nSELECT .*WHERE f\.flight_id = 115/);
    expect(prompt).toMatch(/Question: manifest for flight 115\nSQL: SELECT/);
    expect(prompt.trimEnd()).toMatch(/Question: flights from JFK to LAX\nSQL:$/);
    expect(buildPrompt(knowledgeBase('mysql'), 'x', 1000).system).toMatch(/MySQL\/MariaDB.*backticks/s);
  });
});
