// What the command line prints for people: usage, argument errors, the --check verdict and the
// help under a start-up error, in English or Chinese. Before the configuration is read the
// language comes from HEXPATROL_LOCALE (English when unset); after, from its `locale`. Pure.
import { isLocale, type Locale } from './locale.js'

export interface CliTexts {
  readonly locale: Locale
  usage: string
  unknownArgument(arg: string): string
  needsFile(flag: string): string
  configValid(path: string | null): string
  /** The help under a coded start-up error: Chinese where there is one, else the catalogue's (English). */
  help(code: string, fallback: string): string
}

const EN: CliTexts = {
  locale: 'en',
  usage: `usage: hexpatrol [--config <file>] [--check] [--demo]
  --config <file>  the configuration file (default: $HEXPATROL_CONFIG, else config/hexpatrol.yaml)
  --check          validate the configuration and exit (0 when valid, 2 when not)
  --demo           demo mode: a simulator drives the configured fleet (loopback only, own data
                   directory <data_dir>/demo, refused with NODE_ENV=production)
`,
  unknownArgument: (a) => `unknown argument ${a}`,
  needsFile: (f) => `${f} needs a file`,
  configValid: (p) => `configuration ${p ?? '(defaults)'} is valid`,
  help: (_code, fallback) => fallback,
}

const HELP_ZH: Record<string, string> = {
  HEXP_ERR_CONFIG: '配置无效。上面的消息指出了出错的配置项；请在配置文件或 HEXPATROL_* 环境变量中改正后重新启动。',
  HEXP_ERR_BROKER_EXPOSED: '内置 MQTT 服务将在非本机地址上接受匿名设备。请配置 broker.users 并设置 broker.allow_anonymous: false，或将 broker.host 绑定到 127.0.0.1。',
}

const ZH: CliTexts = {
  locale: 'zh-CN',
  usage: `用法：hexpatrol [--config <文件>] [--check] [--demo]
  --config <文件>  配置文件（默认：$HEXPATROL_CONFIG，否则 config/hexpatrol.yaml）
  --check          只校验配置后退出（有效返回 0，无效返回 2）
  --demo           演示模式：模拟器驱动配置中的警力（仅本机地址，数据目录 <data_dir>/demo，
                   NODE_ENV=production 时拒绝启动）
`,
  unknownArgument: (a) => `未知参数 ${a}`,
  needsFile: (f) => `${f} 后面需要一个文件`,
  configValid: (p) => `配置 ${p ?? '（默认值）'} 有效`,
  help: (code, fallback) => HELP_ZH[code] ?? fallback,
}

export function cliTexts(locale: Locale): CliTexts {
  return locale === 'zh-CN' ? ZH : EN
}

/** The language before the configuration is read: HEXPATROL_LOCALE when it names one, else English. */
export function cliTextsFromEnv(env: NodeJS.ProcessEnv): CliTexts {
  const v = env.HEXPATROL_LOCALE
  return cliTexts(isLocale(v) ? v : 'en')
}
