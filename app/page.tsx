import { redirect } from "next/navigation";

/** All Work is the landing tab. */
export default function Home(): never {
  redirect("/work");
}
