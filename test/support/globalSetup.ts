// Placeholder: replaced by the lead with the real Postgres template-database setup.
export default function setup(): void {}
