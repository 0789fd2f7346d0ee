/**
 * The demo's inference service: a real (small) logistic-regression credit model with fixed
 * weights, standing in for the production model that Argus watches.
 */
export interface CreditApplication {
  age: number;
  income: number;
  debt_ratio: number;
  employment: "employed" | "self_employed" | "unemployed" | "retired";
}

const weights = { bias: -1.2, age: 0.015, incomeK: 0.03, debtRatio: -1.8 };
const employmentWeight: Record<CreditApplication["employment"], number> = {
  employed: 0.6,
  self_employed: 0.2,
  unemployed: -1.1,
  retired: 0.1,
};

export function predict(application: CreditApplication): {
  label: "approve" | "deny";
  scores: Record<string, number>;
} {
  const z =
    weights.bias +
    weights.age * application.age +
    weights.incomeK * (application.income / 1000) +
    weights.debtRatio * application.debt_ratio +
    (employmentWeight[application.employment] ?? 0);
  const approve = 1 / (1 + Math.exp(-z));
  return { label: approve >= 0.5 ? "approve" : "deny", scores: { approve, deny: 1 - approve } };
}

const employments: CreditApplication["employment"][] = ["employed", "self_employed", "unemployed", "retired"];

export function normalApplication(random: () => number): CreditApplication {
  return {
    age: Math.round(21 + random() * 50),
    income: Math.round(18_000 + random() * 90_000),
    debt_ratio: Math.round(random() * 150) / 100,
    employment: employments[Math.floor(random() * employments.length)] ?? "employed",
  };
}

/** Inputs a buggy upstream or an attacker sends: each breaks the declared schema in its own way. */
export function malformedApplications(): { why: string; features: Record<string, number | string> }[] {
  return [
    {
      why: "age out of range",
      features: { age: 212, income: 40_000, debt_ratio: 0.5, employment: "employed" },
    },
    {
      why: "negative income",
      features: { age: 33, income: -5_000, debt_ratio: 0.5, employment: "employed" },
    },
    {
      why: "unknown category",
      features: { age: 45, income: 61_000, debt_ratio: 0.2, employment: "astronaut" },
    },
    { why: "missing feature", features: { age: 29, income: 38_000, employment: "retired" } },
    {
      why: "debt ratio out of range",
      features: { age: 52, income: 75_000, debt_ratio: 9.5, employment: "employed" },
    },
  ];
}
