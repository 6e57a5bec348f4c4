// The agent workbench: a client of docs/protocol.md (namespace /agent) and of the sign-in
// in docs/http-api.md. Chat text is only ever interpolated as text ({{ }}), never as markup.
import { createApp } from "vue";
import App from "./App.vue";
import "./workbench.css";

createApp(App).mount("#app");
