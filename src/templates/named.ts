/**
 * Chat templates the project ships, for models whose files carry none (old GGUFs, merges, base models used as
 * chat models). Each is the official template as published in the model authors' tokenizer_config.json (or,
 * for Vicuna and Alpaca, which never had one, the format of their reference implementations: FastChat's
 * `vicuna_v1.1` conversation and Stanford Alpaca's prompt). Tests render each against the upstream copies in
 * ../shared/data to keep them faithful.
 */

export interface NamedTemplate {
  name: string;
  description: string;
  /** Jinja source, in the dialect of Hugging Face chat templates. */
  template: string;
  /** Special tokens of the model family, used when the tokenizer does not say. */
  bosToken: string;
  eosToken: string;
  /** Strings that end an assistant turn (for servers that do not stop on them by themselves). */
  stop: string[];
}

const ROLES_ALTERNATE = "Conversation roles must alternate user/assistant/user/assistant/...";

const T: NamedTemplate[] = [
  {
    name: "chatml",
    description: "ChatML (<|im_start|>role ... <|im_end|>): OpenHermes, Qwen, Yi, many fine-tunes",
    template: String.raw`{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}`,
    bosToken: "",
    eosToken: "<|im_end|>",
    stop: ["<|im_end|>"],
  },
  {
    name: "llama-2",
    description: "Llama 2 chat ([INST] ... [/INST], system prompt in <<SYS>>), meta-llama/Llama-2-*-chat-hf",
    template: String.raw`{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('${ROLES_ALTERNATE}') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\n' + system_message + '\n<</SYS>>\n\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}`,
    bosToken: "<s>",
    eosToken: "</s>",
    stop: ["</s>"],
  },
  {
    name: "llama-3",
    description: "Llama 3 instruct (<|start_header_id|>role<|end_header_id|>), meta-llama/Meta-Llama-3-8B-Instruct",
    template: String.raw`{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>

'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>

' }}{% endif %}`,
    bosToken: "<|begin_of_text|>",
    eosToken: "<|eot_id|>",
    stop: ["<|eot_id|>", "<|end_of_text|>"],
  },
  {
    name: "mistral",
    description: "Mistral instruct v1 ([INST] ... [/INST], optional system prompt before the first turn)",
    template: String.raw`{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content'] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set loop_messages = messages %}
{%- endif %}

{{- bos_token }}
{%- for message in loop_messages %}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}
        {{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}
    {%- endif %}
    {%- if message['role'] == 'user' %}
        {%- if loop.first and system_message is defined %}
            {{- ' [INST] ' + system_message + '\n\n' + message['content'] + ' [/INST]' }}
        {%- else %}
            {{- ' [INST] ' + message['content'] + ' [/INST]' }}
        {%- endif %}
    {%- elif message['role'] == 'assistant' %}
        {{- ' ' + message['content'] + eos_token}}
    {%- else %}
        {{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}
    {%- endif %}
{%- endfor %}
`,
    bosToken: "<s>",
    eosToken: "</s>",
    stop: ["</s>"],
  },
  {
    name: "zephyr",
    description: "Zephyr (<|system|>, <|user|>, <|assistant|>, turns end with </s>), HuggingFaceH4/zephyr-7b-beta",
    template: String.raw`{% for message in messages %}
{% if message['role'] == 'user' %}
{{ '<|user|>
' + message['content'] + eos_token }}
{% elif message['role'] == 'system' %}
{{ '<|system|>
' + message['content'] + eos_token }}
{% elif message['role'] == 'assistant' %}
{{ '<|assistant|>
'  + message['content'] + eos_token }}
{% endif %}
{% if loop.last and add_generation_prompt %}
{{ '<|assistant|>' }}
{% endif %}
{% endfor %}`,
    bosToken: "<s>",
    eosToken: "</s>",
    stop: ["</s>"],
  },
  {
    name: "vicuna",
    description: "Vicuna v1.1 (FastChat 'vicuna_v1.1': SYSTEM USER: ... ASSISTANT: ...</s>)",
    template: String.raw`{% if messages[0]['role'] == 'system' %}{% set system_message = messages[0]['content'] %}{% set loop_messages = messages[1:] %}{% else %}{% set system_message = 'A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user\'s questions.' %}{% set loop_messages = messages %}{% endif %}{{ system_message + ' ' }}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('${ROLES_ALTERNATE}') }}{% endif %}{% if message['role'] == 'user' %}{{ 'USER: ' + message['content'] + ' ' }}{% elif message['role'] == 'assistant' %}{{ 'ASSISTANT: ' + message['content'] + eos_token }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}`,
    bosToken: "<s>",
    eosToken: "</s>",
    stop: ["</s>", "USER:"],
  },
  {
    name: "alpaca",
    description: "Stanford Alpaca (### Instruction: / ### Response:)",
    template: String.raw`{% if messages[0]['role'] == 'system' %}{% set system_message = messages[0]['content'] %}{% set loop_messages = messages[1:] %}{% else %}{% set system_message = 'Below is an instruction that describes a task. Write a response that appropriately completes the request.' %}{% set loop_messages = messages %}{% endif %}{{ system_message + '\n\n' }}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('${ROLES_ALTERNATE}') }}{% endif %}{% if message['role'] == 'user' %}{{ '### Instruction:\n' + message['content'] + '\n\n' }}{% elif message['role'] == 'assistant' %}{{ '### Response:\n' + message['content'] + '\n\n' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '### Response:\n' }}{% endif %}`,
    bosToken: "<s>",
    eosToken: "</s>",
    stop: ["### Instruction:"],
  },
  {
    name: "gemma",
    description: "Gemma / Gemma 2 instruct (<start_of_turn>user|model), google/gemma-2-2b-it; no system role",
    template: String.raw`{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('${ROLES_ALTERNATE}') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '
' + message['content'] | trim + '<end_of_turn>
' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model
'}}{% endif %}`,
    bosToken: "<bos>",
    eosToken: "<eos>",
    stop: ["<end_of_turn>", "<eos>"],
  },
  {
    name: "phi-3",
    description:
      "Phi-3 / Phi-3.5 instruct (<|system|>, <|user|>, <|assistant|>, <|end|>), microsoft/Phi-3.5-mini-instruct",
    template: String.raw`{% for message in messages %}{% if message['role'] == 'system' and message['content'] %}{{'<|system|>
' + message['content'] + '<|end|>
'}}{% elif message['role'] == 'user' %}{{'<|user|>
' + message['content'] + '<|end|>
'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>
' + message['content'] + '<|end|>
'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>
' }}{% else %}{{ eos_token }}{% endif %}`,
    bosToken: "<s>",
    eosToken: "<|endoftext|>",
    stop: ["<|end|>", "<|endoftext|>"],
  },
];

export const NAMED_TEMPLATES: ReadonlyMap<string, NamedTemplate> = new Map(T.map((t) => [t.name, t]));

export function namedTemplateNames(): string[] {
  return [...NAMED_TEMPLATES.keys()];
}
