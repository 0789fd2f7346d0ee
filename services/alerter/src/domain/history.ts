/** One line of an alert's history: who did what, when (findings, on-call's hands, notifications). */
export interface HistoryEntry {
  at: string;
  action: string;
  actor: string;
  detail?: string;
  notificationId?: string;
  receiver?: string;
  httpStatus?: number;
}
